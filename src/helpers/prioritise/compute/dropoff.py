"""Friction: where journeys stop without a purchase, and what a touchpoint earns for its cost.

Drop-off after a touchpoint is the share of journeys that reached it and ended
without a purchase right after it (it was their last touch). Each rate has a
Wilson interval (:func:`helpers.stats.proportion_ci_frame`) and is compared with
the pooled average over all touchpoints (total drop-offs / total reaches).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import stats
from helpers.errors import DataError
from helpers.prioritise.attribution import ParsedPaths, parse_paths

FRICTION_COLUMNS = ["channel", "reached", "dropoffs", "dropoff_rate", "dropoff_ci_low", "dropoff_ci_high",
                    "average", "excess", "flag"]


def friction(paths: pd.DataFrame | ParsedPaths, level: float = 0.95) -> pd.DataFrame:
    """Drop-off after each touchpoint against the average, with Wilson intervals.

    ``reached``: journeys with the touchpoint anywhere on their path (counted once);
    ``dropoffs``: journeys whose last touch it was and that did not convert;
    ``excess``: rate minus the pooled average; ``flag``: ``above average`` when the
    whole interval lies above the average, ``below average`` when below, else empty.
    """
    pp = parse_paths(paths)
    c = len(pp.channels)
    first_visit = pd.DataFrame({"p": pp.path, "c": pp.code}).drop_duplicates().to_numpy()
    reached = np.bincount(first_visit[:, 1], weights=pp.journeys[first_visit[:, 0]], minlength=c)
    last = pp.is_last
    drop = np.bincount(pp.code[last], weights=pp.nulls[pp.path[last]], minlength=c)
    if np.all(reached == np.round(reached)) and np.all(drop == np.round(drop)):  # journey counts
        reached, drop = reached.astype(np.int64), drop.astype(np.int64)
    out = pd.DataFrame({"channel": pp.channels, "reached": reached, "dropoffs": drop})
    out = stats.proportion_ci_frame(out, "dropoffs", "reached", level=level, name="dropoff_rate")
    out = out.rename(columns={"dropoff_rate_ci_low": "dropoff_ci_low", "dropoff_rate_ci_high": "dropoff_ci_high"})
    average = drop.sum() / reached.sum() if reached.sum() > 0 else np.nan
    out["average"] = average
    out["excess"] = out["dropoff_rate"] - average
    out["flag"] = np.where(out["dropoff_ci_low"] > average, "above average",
                           np.where(out["dropoff_ci_high"] < average, "below average", ""))
    return out[FRICTION_COLUMNS].sort_values("excess", ascending=False).reset_index(drop=True)


def roi(attributed: pd.DataFrame, costs: pd.DataFrame, *, model: str, period: str | None = None) -> pd.DataFrame:
    """Attributed revenue against cost per touchpoint and period.

    ``attributed``: columns touchpoint_id, period, revenue (from one attribution
    ``model``, named in the output); ``costs``: touchpoint_id, period, cost (the
    canonical costs table). Returns touchpoint_id, period, model, cost,
    attributed_revenue, roi = (revenue - cost) / cost and revenue_per_cost; only
    touchpoints and periods with a known cost. ``period`` keeps one period. A touchpoint
    missing from ``attributed`` (not on any path to purchase, such as after-sales
    service) gets no revenue and no ROI: attribution cannot value it.
    """
    for name, df, cols in (("attributed", attributed, ("touchpoint_id", "period", "revenue")),
                           ("costs", costs, ("touchpoint_id", "period", "cost"))):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise DataError(f"the {name} table lacks columns {missing}", hint=f"give columns {', '.join(cols)}")
    cost = costs.groupby(["touchpoint_id", "period"], as_index=False)["cost"].sum()
    if period is not None:
        cost = cost[cost["period"] == period]
    out = cost.merge(attributed[["touchpoint_id", "period", "revenue"]], on=["touchpoint_id", "period"], how="left")
    out = out.rename(columns={"revenue": "attributed_revenue"})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["roi"] = np.where(out["cost"] > 0, (out["attributed_revenue"] - out["cost"]) / out["cost"], np.nan)
        out["revenue_per_cost"] = np.where(out["cost"] > 0, out["attributed_revenue"] / out["cost"], np.nan)
    out.insert(2, "model", model)
    cols = ["touchpoint_id", "period", "model", "cost", "attributed_revenue", "roi", "revenue_per_cost"]
    return out[cols].sort_values(["period", "roi"], ascending=[False, False], na_position="last").reset_index(drop=True)
