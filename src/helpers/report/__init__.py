"""Client reports: run the step notebooks and the summary, render one self-contained HTML per client and period.

>>> from helpers import report
>>> batch = report.build_reports("2026Q3", clients=["nordlys"])
>>> batch.ok, batch.exit_code

Modules: :mod:`~helpers.report.runner` (batch, parallel workers, incremental skips,
atomic publishing), :mod:`~helpers.report.execute` (papermill on a reused kernel),
:mod:`~helpers.report.render` (nbconvert template, clean-up, contents),
:mod:`~helpers.report.appendix` and :mod:`~helpers.report.provenance` (what a report
was built from), :mod:`~helpers.report.summary` (the executive summary notebook's
helpers) and :mod:`~helpers.report.browser` (headless Chromium checks).
"""

from helpers.report.runner import BatchResult, ClientResult, build_reports, check_parameters, find_notebooks, plan

__all__ = ["BatchResult", "ClientResult", "build_reports", "check_parameters", "find_notebooks", "plan"]
