"""Statistics of step 4 on small frames: the estimators, one change's evaluation, the verdict as data.

Never imports matplotlib (a test checks it): :mod:`.estimators` (A/B test,
difference-in-differences, interrupted time series, power and MDE), :mod:`.changes`
(weekly series and the design's rows for one change and KPI), :mod:`.verdicts`.
"""

from helpers.evaluate.compute.estimators import (
    ITS_ERRORS,
    EffectResult,
    GLSFit,
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

__all__ = ["ALPHA", "ITS_ERRORS", "VERDICTS", "EffectResult", "GLSFit", "ITSResult", "Verdict", "ab_test",
           "decide", "diff_in_diff", "gls_ar1", "interrupted_time_series", "level_shift", "linear_trend",
           "mde_from_se", "newey_west_lags", "power_from_se", "sample_ratio_check"]
