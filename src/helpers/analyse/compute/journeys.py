"""Journey tables on aggregates: transitions, paths, the stage funnel, exits, time to purchase."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import journeys, stats
from helpers.analyse.compute.kpis import num
from helpers.analyse.queries import END, START, UNKNOWN
from helpers.config import STAGES

collapse_path = journeys.collapse_path

TRANSITION_COLUMNS = ["from", "to", "count", "probability"]


def transition_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Transition counts (``from_tp``, ``to_tp``, ``count``) with the probability of each move given
    where it starts (the probabilities from one touchpoint sum to 1)."""
    out = counts.rename(columns={"from_tp": "from", "to_tp": "to"}).copy()
    if out.empty:
        return pd.DataFrame(columns=TRANSITION_COLUMNS)
    out["count"] = out["count"].astype("int64")
    out["probability"] = out["count"] / out.groupby("from")["count"].transform("sum")
    return out.sort_values(["from", "count", "to"], ascending=[True, False, True]).reset_index(drop=True)


def transition_matrix(transitions: pd.DataFrame, value: str = "probability", order: list[str] | None = None):
    """Square from x to table (0 where no move), ``(start)`` first and ``(end)`` last: transition
    probabilities (``value="probability"``) or move counts (``value="count"``); see
    :func:`helpers.journeys.transition_matrix`."""
    return journeys.transition_matrix(transitions, value=value, order=order, start=START, ends=(END,))


PATH_COLUMNS = ["path", "steps", "journeys", "conversions", "nulls", "share", "conversion", "conversion_ci_low",
                "conversion_ci_high"]


def path_table(paths_counts: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Paths with journeys, conversions, journeys without purchase (nulls), share of journeys
    and conversion rate with a Wilson interval, most frequent first."""
    if paths_counts.empty:
        return pd.DataFrame(columns=PATH_COLUMNS)
    out = paths_counts.copy()
    out["journeys"] = out["journeys"].astype("int64")
    out["conversions"] = out["conversions"].astype("int64")
    out["nulls"] = out["journeys"] - out["conversions"]
    out["steps"] = out["path"].str.count(f" {journeys.SEP} ") + 1
    out["share"] = out["journeys"] / out["journeys"].sum()
    out = stats.proportion_ci_frame(out, "conversions", "journeys", level=level, name="conversion")
    out = out.sort_values(["journeys", "path"], ascending=[False, True])
    return out[PATH_COLUMNS].reset_index(drop=True)


def funnel_table(depths: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Stage funnel from journeys per furthest stage: journeys reaching each stage (or a later one),
    share of all journeys, step conversion to the next stage and drop-off, with Wilson intervals."""
    counts = dict(zip(num(depths["depth"]).astype(int), num(depths["journeys"]))) if len(depths) else {}
    reached = [sum(v for d, v in counts.items() if d >= i) for i in range(len(STAGES))]
    rows = []
    for i, stage in enumerate(STAGES):
        nxt = reached[i + 1] if i + 1 < len(STAGES) else np.nan
        rows.append({"stage": stage, "journeys": int(reached[i]), "next_journeys": nxt})
    out = pd.DataFrame(rows)
    total = reached[0]
    out["share_of_start"] = out["journeys"] / total if total else np.nan
    step = out.iloc[:-1].copy()
    step = stats.proportion_ci_frame(step, "next_journeys", "journeys", level=level, name="step_conversion")
    for c in ("step_conversion", "step_conversion_ci_low", "step_conversion_ci_high"):
        out[c] = pd.concat([step[c], pd.Series([np.nan])], ignore_index=True)
    out["drop_off"] = 1 - out["step_conversion"]
    out["drop_off_ci_low"] = 1 - out["step_conversion_ci_high"]
    out["drop_off_ci_high"] = 1 - out["step_conversion_ci_low"]
    out["note"] = ["no journeys reached this stage" if j == 0 else ("last stage" if i == len(STAGES) - 1 else "")
                   for i, j in enumerate(out["journeys"])]
    return out.drop(columns="next_journeys")


EXIT_COLUMNS = ["touchpoint_id", "name", "stage", "journeys", "exits", "exit_rate", "exit_rate_ci_low",
                "exit_rate_ci_high", "lost", "lost_rate", "others_journeys", "others_lost", "others_lost_rate",
                "difference", "difference_ci_low", "difference_ci_high", "p_value", "p_adjusted", "more_exits"]

#: level of the Benjamini-Hochberg adjustment of the exit table (its false discovery rate)
FDR = 0.05


def exit_table(exits: pd.DataFrame, touching: pd.DataFrame, catalogue: pd.DataFrame | None = None,
               level: float = 0.95, skip_stages: tuple[str, ...] = ("retention",), *,
               total_journeys: int | None = None, total_converted: int | None = None) -> pd.DataFrame:
    """Exits per touchpoint and whether journeys touching it are lost more often than the others.

    ``exits``: journeys ending at the touchpoint without a purchase (``touchpoint_id``, ``exits``);
    ``touching``: journeys touching it (``touchpoint_id``, ``journeys``, ``converted_journeys``);
    ``total_journeys`` / ``total_converted``: all journeys of the period and those with a purchase
    (each journey once). ``exit_rate`` = exits / journeys touching it, with a Wilson interval.

    The comparison uses two groups with no journey in both: the journeys touching the
    touchpoint against the journeys not touching it, on the same outcome, "ended without a
    purchase" (``lost_rate`` vs ``others_lost_rate``). ``difference`` is their difference with
    the score interval (Mee) and ``p_value`` the pooled z test it inverts. The touchpoints of the
    table are one family: ``p_adjusted`` is Benjamini-Hochberg within it, and ``more_exits`` is
    ``p_adjusted < 0.05`` with a positive difference. Without the totals (or converted counts)
    there is no comparison: those columns are NaN and ``more_exits`` False. Sorted by exit rate,
    highest first.

    After-purchase (``retention``) touchpoints are left out: a journey that ends there has either
    bought already or not reached the purchase through them, so its "exit" is not a lost sale."""
    cat = catalogue if catalogue is not None else pd.DataFrame(columns=["touchpoint_id", "name", "stage"])
    skip = set(cat.loc[cat["stage"].isin(list(skip_stages)), "touchpoint_id"])
    cols = ["touchpoint_id", "journeys", *(["converted_journeys"] if "converted_journeys" in touching else [])]
    t = touching[cols].merge(exits, on="touchpoint_id", how="left")
    t = t[~t["touchpoint_id"].isin(list(skip))]
    t["exits"] = num(t["exits"]).fillna(0).astype("int64")
    t["journeys"] = num(t["journeys"]).fillna(0).astype("int64")
    t = t[t["journeys"] > 0]
    if t.empty:
        return pd.DataFrame(columns=EXIT_COLUMNS)
    t = stats.proportion_ci_frame(t, "exits", "journeys", level=level, name="exit_rate")
    known = total_journeys is not None and total_converted is not None and "converted_journeys" in t
    conv = num(t["converted_journeys"]).fillna(0) if known else pd.Series(np.nan, index=t.index)
    t["lost"] = t["journeys"] - conv
    t["lost_rate"] = t["lost"] / t["journeys"]
    if known:
        if total_converted > total_journeys or (t["journeys"] > total_journeys).any():
            raise ValueError("exit_table: a touchpoint has more journeys than the period, or more purchases "
                             "than journeys (totals of another period?)")
        t["others_journeys"] = total_journeys - t["journeys"]
        t["others_lost"] = (total_journeys - total_converted) - t["lost"]
    else:
        t["others_journeys"] = np.nan
        t["others_lost"] = np.nan
    t["others_lost_rate"] = t["others_lost"] / t["others_journeys"].where(t["others_journeys"] > 0)
    tests = [_lost_test(x, n, xo, no, level) if known else (stats.Estimate(np.nan, np.nan, np.nan, np.nan, 0),
                                                             np.nan)
             for x, n, xo, no in zip(t["lost"], t["journeys"], t["others_lost"], t["others_journeys"])]
    t["difference"] = [e.value for e, _ in tests]
    t["difference_ci_low"] = [e.ci_low for e, _ in tests]
    t["difference_ci_high"] = [e.ci_high for e, _ in tests]
    t["p_value"] = np.array([p for _, p in tests], dtype="float64")
    t["p_adjusted"] = stats.benjamini_hochberg(t["p_value"].to_numpy())
    t["more_exits"] = ((t["p_adjusted"] < FDR) & (t["difference"] > 0)).astype(bool)
    t["name"] = t["touchpoint_id"].map(dict(zip(cat["touchpoint_id"], cat["name"]))).fillna(t["touchpoint_id"])
    t["stage"] = t["touchpoint_id"].map(dict(zip(cat["touchpoint_id"], cat["stage"]))).fillna(UNKNOWN)
    # by exit rate: the touchpoint where journeys most often end without a purchase comes first (the flag answers
    # another question, whether touching it goes with losing the journey, and does not reorder the table)
    t = t.sort_values(["exit_rate", "touchpoint_id"], ascending=[False, True])
    return t[EXIT_COLUMNS].reset_index(drop=True)


def _lost_test(x: float, n: float, xo: float, no: float, level: float) -> tuple[stats.Estimate, float]:
    """Lost share of the journeys touching a touchpoint minus that of the others: score interval and pooled z."""
    if not (no > 0):
        return stats.Estimate(np.nan, np.nan, np.nan, np.nan, n, "score", level, "every journey touches it"), np.nan
    e = stats.diff_proportions_ci(x, n, xo, no, method="score", level=level)
    p = stats.two_proportions_test(x, n, xo, no)[1]
    return (e, p) if np.isfinite(p) else (_without_interval(e), np.nan)


def _without_interval(e: stats.Estimate) -> stats.Estimate:
    """``e`` without its interval (nothing varies: all or no journeys lost in both groups)."""
    return stats.Estimate(e.value, e.se, np.nan, np.nan, e.n, e.method, e.level, "nothing varies: no test")


def time_to_convert_table(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Converting journeys and the mean and quartiles of their days to purchase, per ``keys``."""
    cols = [*keys, "converting_journeys", "mean_days", "q1_days", "median_days", "q3_days"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = df.copy()
    out["converting_journeys"] = num(out["converting_journeys"]).fillna(0).astype("int64")
    out = out[out["converting_journeys"] > 0] if keys else out
    return out.sort_values(keys).reset_index(drop=True)[cols] if keys else out[cols].reset_index(drop=True)
