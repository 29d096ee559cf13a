"""Step 4: did a logged change really move its KPI?

>>> from helpers import evaluate
>>> result = evaluate.run("nordlys", "2026Q3")     # every change in client.yml, every KPI it should move
>>> result.table[["change_id", "kpi", "design", "effect", "p_adj", "verdict"]]
>>> evaluate.change_figure(result, "CH-checkout")
>>> evaluate.diff_in_diff(df, "y", "treated", "post", cov_type="nonrobust")   # the estimators on any frame

For each change and KPI the design the data allows is chosen automatically and named
in the output:

* **A/B test** when the change names an assignment column (``ab_column``): two-proportion
  z test with Newcombe's interval for a 0/1 KPI, Welch's t test otherwise, and CUPED
  variance reduction (Deng et al. 2013) when the customers have data from before the test.
* **Difference-in-differences** when a control is logged (touchpoints or segments left
  unchanged): OLS with week fixed effects, errors clustered by week
  (:func:`diff_in_diff`; ``cov_type`` passes through to statsmodels).
* **Interrupted time series** otherwise: segmented regression of the weekly KPI on time,
  a level change and a slope change (weighted by the week's responses or journeys),
  autocorrelation-robust errors from Bartlett-weighted (Newey-West) autocovariances with a
  small-sample correction, and yearly Fourier terms when two or more years of history
  precede the change (:func:`interrupted_time_series`). The effect is the average over the
  weeks after the change of the distance to the earlier trend extended.

Every result carries the absolute and relative effect with its interval, the p value, the
Benjamini-Hochberg adjusted p value across all tests of the report, the power to detect a
reference effect and the minimum detectable effect (MDE) at the volume observed, and a
verdict in plain words: moved as expected, moved against expectation, no detectable
change (with the MDE), too early, or too little data.

Weeks are counted from the change's start (local midnight of the start date in the
client's time zone), so no week mixes days before and after the change. Journeys first
seen in the last week of the data are left out of conversion and revenue (they may not
have converted yet).

How honest the verdicts are is measured by bench/bench_verdicts.py (simulated reports
shaped like the demo, :mod:`helpers.demo.verdicts`; results in bench/results/verdicts.md):
A/B tests, difference-in-differences and time series of rates keep the 5% level, and an
effect of the size of the MDE is found about 80% of the time. A time series of a KPI that
moves with shocks lasting several weeks (the demo's monthly CSAT shocks, shared by all
touchpoints) is somewhat above the nominal level (6-9% false positives at 5% in the
bench), because a few weeks after the change hold only one or two such shocks: log a
control for such changes, so that difference-in-differences removes the shared shocks.

Layers, one file each: :mod:`.queries` (Ibis expressions on the events), :mod:`.compute`
(estimators, one change's evaluation, verdicts as data; no matplotlib), :mod:`.figures`,
:mod:`.narrative` (every word the step shows) and :mod:`.step` (:func:`compute`,
:func:`run`, :func:`findings`). The figure functions are loaded on first use, so the
statistics import without matplotlib.
"""

from helpers.evaluate.compute.changes import MATURITY
from helpers.evaluate.compute.estimators import (
    ITS_ERRORS,
    EffectResult,
    ITSResult,
    ab_test,
    diff_in_diff,
    gls_ar1,
    interrupted_time_series,
    level_shift,
    linear_trend,
    mde_from_se,
    newey_west_lags,
    power_from_se,
    sample_ratio_check,
)
from helpers.evaluate.compute.verdicts import ALPHA, VERDICTS, Verdict, decide
from helpers.evaluate.narrative import (
    DESIGN_NAMES,
    display_table,
    say_overview,
    say_verdicts,
    show,
    show_methods,
)
from helpers.evaluate.step import (
    COLUMNS,
    VERDICT_COLUMNS,
    EvaluationResult,
    compute,
    evaluate_changes,
    findings,
    run,
    verdict_table,
)

_FIGURES = ("change_figure", "change_figures", "show_figures")


def __getattr__(name: str):
    """The figures module and its functions, imported (with matplotlib) only when first asked for."""
    if name in (*_FIGURES, "figures"):
        import importlib

        module = importlib.import_module("helpers.evaluate.figures")
        return module if name == "figures" else getattr(module, name)
    raise AttributeError(f"module 'helpers.evaluate' has no attribute '{name}'")


__all__ = [
    "ALPHA", "COLUMNS", "DESIGN_NAMES", "ITS_ERRORS", "MATURITY", "VERDICTS", "VERDICT_COLUMNS",
    "EffectResult", "EvaluationResult", "ITSResult", "Verdict", "ab_test", "change_figure", "change_figures",
    "compute", "decide", "diff_in_diff", "display_table", "evaluate_changes", "gls_ar1", "level_shift",
    "linear_trend", "findings",
    "interrupted_time_series", "mde_from_se", "newey_west_lags", "power_from_se", "run", "say_overview",
    "say_verdicts", "show", "show_figures", "show_methods", "sample_ratio_check", "verdict_table",
]
