"""Tiny projects and stand-in notebooks for the report runner tests (each notebook runs in about a second)."""

from __future__ import annotations

from helpers.demo.projects import KERNELSPEC, PARAMETERS, make_project, notebooks_dir, write_notebook

__all__ = ["KERNELSPEC", "PARAMETERS", "make_project", "notebooks_dir", "write_notebook", "STEP_ONE", "STEP_TWO"]

# Two stand-in steps: the first leaves a variable behind, the second proves it is gone (fresh namespace),
# writes to stderr and warns (neither may reach the report) and saves findings for the summary.
STEP_ONE = (
    "from helpers import artifacts, display",
    "LEFT_BEHIND = client",
    'display.say("Step one ran for {c} in {p}.", c=client, p=period)',
    'artifacts.save(artifacts_dir, artifacts.Findings("identify", ["Finding about " + client]))',
)
STEP_TWO = (
    "from helpers import artifacts, display\nimport sys, warnings",
    'assert "LEFT_BEHIND" not in globals(), "state leaked from the previous notebook"',
    'print("NOISE ON STDERR", file=sys.stderr)\nwarnings.warn("NOISY WARNING")',
    '"A BARE REPR"',
    'display.say("Step two ran.")',
)
