"""The layers of step 3: the compute layer (and queries, narrative, step) load without matplotlib; the public
names the notebook, the README and the tests use stay importable from ``helpers.prioritise``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import prioritise

PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")))
"""


@pytest.mark.parametrize("module", ["helpers.prioritise.compute", "helpers.prioritise.queries",
                                    "helpers.prioritise.narrative", "helpers.prioritise.step", "helpers.prioritise"])
def test_layers_other_than_figures_do_not_import_matplotlib(module):
    out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout) == [], f"importing {module} loaded matplotlib"


def test_figure_names_load_matplotlib_on_first_use():
    probe = ("import sys\nfrom helpers import prioritise\nassert 'matplotlib' not in sys.modules\n"
             "chart = prioritise.attribution_chart\nassert 'matplotlib' in sys.modules\n"
             "from helpers.prioritise.figures import attribution_chart\nassert chart is attribution_chart\n")
    subprocess.run([sys.executable, "-c", probe], check=True)


# what notebooks/03-prioritise.ipynb, README.md, bench/ and DESIGN.md section 5 call
PUBLIC = ("run", "compute", "findings", "show", "part", "say_notes", "say_drivers", "say_ipm", "say_attribution",
          "say_friction", "say_roi", "say_priorities", "attribution_chart", "friction_chart",
          "importance_performance_matrix", "priority_chart", "relative_weights", "shapley_r2", "key_drivers",
          "markov_attribution", "heuristic_attribution", "attribution_models", "transition_matrix", "parse_paths",
          "friction", "roi", "rank_touchpoints", "importance_performance", "journey_paths", "time_decay_days_expr",
          "HEURISTICS", "QUADRANT_ORDER", "MODEL_LABELS", "PrioritiseResult")


def test_public_names_are_importable():
    missing = [n for n in PUBLIC if not hasattr(prioritise, n)]
    assert not missing
    assert set(PUBLIC) <= set(prioritise.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        prioritise.nope  # noqa: B018


def test_step_function_is_the_step_and_the_compute_layer_is_a_package():
    from helpers.prioritise import step
    from helpers.prioritise.compute import relative_weights

    assert prioritise.compute is step.compute and prioritise.run.__wrapped__ is step.compute
    assert relative_weights is prioritise.relative_weights
