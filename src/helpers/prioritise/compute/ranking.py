"""Importance-performance matrix and the ranked, explained priority list.

The priority score of a touchpoint is a weighted sum of four components, each on
a 0-1 scale relative to the best touchpoint (so the score is easy to retrace):

* experience impact = importance (share of R^2 for the overall outcome) x
  performance gap ``(5 - CSAT) / 4``, divided by the largest such product;
* sales impact = mean of the attribution share (divided by the largest) and the
  drop-off excess above average (divided by the largest excess; none below 0);
* reach = share of journeys that reach the touchpoint, divided by the largest;
* complaints (when the client has comments or review texts) = the touchpoint's negative-theme share (the share
  of its texts this period that hold one of its complaint themes, :func:`helpers.themes.negative_theme_share`),
  divided by the largest such share; touchpoints with fewer than :data:`MIN_COMPLAINT_TEXTS` texts count 0;
* effort (optional, from client.yml ``effort`` 1-5) = ``(effort - 1) / 4``, subtracted.

``score = 100 * (w_exp * experience + w_sales * sales + w_reach * reach + w_complaints * complaints
- w_effort * effort) / (w_exp + w_sales + w_reach + w_complaints)`` with the weights of client.yml
``priority_weights``; ``w_complaints`` (default :data:`COMPLAINT_WEIGHT`) is in the sum only when there is a
negative-theme share for at least one touchpoint, so a client without texts keeps the scores of the other
four components. Scaling by the largest share puts complaints on the 0-1 scale of the other components
(the touchpoint customers complain about most gets 1); the share's change against the previous period is not
scored (it is noise unless its interval excludes zero) but, when material, is a reason in the list.
Rank stability is the share of bootstrap resamples in which a touchpoint is in the top three.
The one-sentence reason of each row is written by :func:`helpers.prioritise.narrative.reasons`
(the words of the step live in its narrative module).
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import pandas as pd

from helpers.errors import ConfigError, DataError
from helpers.prioritise.narrative import complaint_reasons, reasons

QUADRANTS = {
    (True, False): "fix first",        # important, performing below average
    (True, True): "keep up",           # important, performing above average
    (False, True): "possible overkill",
    (False, False): "low priority",
}
QUADRANT_ORDER = ("fix first", "keep up", "possible overkill", "low priority")
COMPONENTS = ("importance", "csat", "attribution", "excess", "reach", "effort", "complaints")
#: default weight of the complaint component (client.yml ``priority_weights.complaints`` when the config has it)
COMPLAINT_WEIGHT = 0.2
#: fewest texts of a touchpoint for its negative-theme share to count
MIN_COMPLAINT_TEXTS = 10


def importance_performance(importance: pd.DataFrame, performance: pd.DataFrame, *,
                           importance_col: str = "relative_weight", performance_col: str = "csat") -> pd.DataFrame:
    """Importance-performance matrix: one row per touchpoint with both measures and its quadrant.

    ``importance``: touchpoint_id (or driver) and ``importance_col``; ``performance``:
    touchpoint_id and ``performance_col``. Quadrants split at the mean importance and
    mean performance of the touchpoints shown (both must be known).
    """
    imp = importance.rename(columns={"driver": "touchpoint_id"})
    for name, df, col in (("importance", imp, importance_col), ("performance", performance, performance_col)):
        if "touchpoint_id" not in df.columns or col not in df.columns:
            raise DataError(f"the {name} table needs columns touchpoint_id and {col}")
    out = imp[["touchpoint_id", importance_col]].merge(
        performance[["touchpoint_id", performance_col]], on="touchpoint_id", how="inner")
    out = out.rename(columns={importance_col: "importance", performance_col: "performance"}).dropna()
    if out.empty:
        return out.assign(quadrant=pd.Series(dtype=object))
    imp_cut, perf_cut = out["importance"].mean(), out["performance"].mean()
    out["quadrant"] = [QUADRANTS[(i >= imp_cut, p >= perf_cut)] for i, p in zip(out["importance"], out["performance"])]
    out.attrs.update(importance_cut=float(imp_cut), performance_cut=float(perf_cut))
    order = {q: k for k, q in enumerate(QUADRANT_ORDER)}
    out = out.sort_values(["quadrant", "importance"], key=lambda s: s.map(order) if s.name == "quadrant" else -s)
    return out.reset_index(drop=True)


def _weights(weights) -> dict:
    if weights is None:
        weights = {"experience": 0.4, "sales": 0.4, "reach": 0.2, "effort": 0.0}
    elif not isinstance(weights, Mapping):
        weights = weights.model_dump() if hasattr(weights, "model_dump") else dict(weights)
    w = {k: float(weights.get(k, 0.0)) for k in ("experience", "sales", "reach", "effort")}
    w["complaints"] = float(weights.get("complaints", COMPLAINT_WEIGHT))
    if any(v < 0 for v in w.values()) or w["experience"] + w["sales"] + w["reach"] <= 0:
        raise ConfigError("priority_weights must be non-negative and experience + sales + reach must be above 0",
                          hint="for example priority_weights: {experience: 0.4, sales: 0.4, reach: 0.2, effort: 0.0}")
    return w


def _relative(x: np.ndarray) -> np.ndarray:
    """Divide by the largest value along the last axis (0 where everything is 0 or missing)."""
    x = np.nan_to_num(np.asarray(x, dtype=float), nan=0.0)
    top = x.max(axis=-1, keepdims=True)
    return np.divide(x, top, out=np.zeros_like(x), where=top > 0)


def score_components(importance, csat, attribution, excess, reach, effort, weights: dict,
                     scale_max: float = 5.0, complaints=None) -> dict:
    """The components and score (arrays; the last axis runs over touchpoints, leading axes
    over resamples). Missing values (NaN) count as 0 for that component; ``complaints`` (negative-theme
    shares) and its weight count only when some share is known."""
    gap = np.clip((scale_max - np.asarray(csat, dtype=float)) / (scale_max - 1), 0, 1)
    experience = _relative(np.asarray(importance, dtype=float) * gap)
    attr = _relative(attribution)
    fr = _relative(np.clip(np.nan_to_num(np.asarray(excess, dtype=float)), 0, None))
    has_friction = np.isfinite(np.asarray(excess, dtype=float)).any()
    sales = (attr + fr) / 2 if has_friction else attr
    rch = _relative(reach)
    eff = np.nan_to_num(np.clip((np.asarray(effort, dtype=float) - 1) / 4, 0, 1), nan=0.0)
    w = weights
    shares = np.full(np.shape(rch), np.nan) if complaints is None else np.asarray(complaints, dtype=float)
    has_complaints = bool(np.isfinite(shares).any())
    cmp = _relative(np.clip(shares, 0, None)) if has_complaints else np.zeros(np.shape(rch))
    w_cmp = w.get("complaints", COMPLAINT_WEIGHT) if has_complaints else 0.0
    total = w["experience"] + w["sales"] + w["reach"] + w_cmp
    score = 100 * (w["experience"] * experience + w["sales"] * sales + w["reach"] * rch + w_cmp * cmp
                   - w["effort"] * eff) / total
    return {"experience": experience, "sales": sales, "reach": rch, "effort": eff, "complaints": cmp,
            "score": score}


def _component(frame: pd.DataFrame | None, ids: list[str], col: str) -> np.ndarray:
    if frame is None or col not in frame.columns:
        return np.full(len(ids), np.nan)
    key = "touchpoint_id" if "touchpoint_id" in frame.columns else "channel"
    return frame.drop_duplicates(key).set_index(key)[col].reindex(ids).to_numpy(dtype=float)


def _draw_matrix(draws: Mapping | None, name: str, ids: list[str], point: np.ndarray, n_boot: int) -> np.ndarray:
    d = (draws or {}).get(name)
    if d is None:
        return np.broadcast_to(point, (n_boot, len(ids)))
    m = d.reindex(columns=ids).to_numpy(dtype=float)[:n_boot]
    failed = np.isnan(m).all(axis=1, keepdims=True)  # a resample without a result keeps the point values
    return np.where(failed, point[None, :], m)


def rank_touchpoints(catalogue: pd.DataFrame, *, importance: pd.DataFrame | None = None,
                     performance: pd.DataFrame | None = None, attribution: pd.DataFrame | None = None,
                     friction: pd.DataFrame | None = None, reach: pd.DataFrame | None = None,
                     complaints: pd.DataFrame | None = None, weights=None,
                     draws: Mapping[str, pd.DataFrame] | None = None,
                     outcome: str = "NPS", top: int = 3,
                     explain: Callable[..., list[str]] = reasons) -> pd.DataFrame:
    """Ranked priority list with a transparent score and one plain-language reason per touchpoint.

    Inputs (all optional except the catalogue; each keyed by ``touchpoint_id``):
    ``catalogue`` (touchpoint_id, name, stage, [effort]); ``importance``
    (``relative_weight``: share of R^2); ``performance`` (``csat``); ``attribution``
    (``share`` of conversions); ``friction`` (``excess`` drop-off over the average,
    ``flag``); ``reach`` (``reach``: share of journeys); ``complaints`` (``negative_theme_share`` and
    ``texts`` from :func:`helpers.analyse.complaint_share`, with the columns
    :func:`helpers.prioritise.narrative.complaint_reasons` reads). ``weights``: client.yml
    ``priority_weights`` (or a dict). ``draws``: bootstrap resamples per component
    (DataFrames, rows resamples, columns touchpoint ids; keys as in :data:`COMPONENTS`)
    for ``top3_share``, how often the touchpoint ranks in the top ``top``. ``explain``
    writes the ``reason`` column: ``explain(table, outcome=, weights=, friction_flags=)``
    returns one sentence per row (:func:`helpers.prioritise.narrative.reasons`).
    """
    if "touchpoint_id" not in catalogue.columns:
        raise DataError("the catalogue needs a touchpoint_id column")
    w = _weights(weights)
    cat = catalogue.drop_duplicates("touchpoint_id").reset_index(drop=True)
    ids = list(cat["touchpoint_id"])
    names = cat["name"].astype(str).tolist() if "name" in cat.columns else ids
    point = {
        "importance": _component(importance.rename(columns={"driver": "touchpoint_id"})
                                 if importance is not None else None, ids, "relative_weight"),
        "csat": _component(performance, ids, "csat"),
        "attribution": _component(attribution, ids, "share"),
        "excess": _component(friction, ids, "excess"),
        "reach": _component(reach, ids, "reach"),
        "effort": cat["effort"].to_numpy(dtype=float) if "effort" in cat.columns else np.full(len(ids), np.nan),
        "complaints": complaint_shares(complaints, ids),
    }
    comp = score_components(**point, weights=w)
    out = pd.DataFrame({"touchpoint_id": ids, "name": names,
                        "stage": cat["stage"].tolist() if "stage" in cat.columns else "",
                        "score": comp["score"], "experience": comp["experience"], "sales": comp["sales"],
                        "reach": comp["reach"], "effort": comp["effort"], "complaints": comp["complaints"],
                        "importance": point["importance"], "csat": point["csat"],
                        "attribution_share": point["attribution"], "dropoff_excess": point["excess"],
                        "reach_share": point["reach"], "negative_theme_share": point["complaints"]})
    out["rank"] = out["score"].rank(ascending=False, method="first").astype(int)
    if draws:
        n_boot = min(len(d) for d in draws.values() if d is not None)
        mats = {k: _draw_matrix(draws, k, ids, point[k], n_boot) for k in COMPONENTS}
        # a touchpoint whose share does not count (too few texts) does not count in any resample either
        mats["complaints"] = np.where(np.isfinite(point["complaints"])[None, :], mats["complaints"], np.nan)
        scores = score_components(**mats, weights=w)["score"]
        order = (-scores).argsort(axis=1, kind="stable").argsort(axis=1)
        out["top3_share"] = (order < top).mean(axis=0)
    else:
        out["top3_share"] = np.nan
    flags = None
    if friction is not None and "flag" in friction.columns:
        flags = friction.drop_duplicates(_key(friction)).set_index(_key(friction))["flag"].reindex(ids).tolist()
    out["reason"] = explain(out, outcome=outcome, weights=w, friction_flags=flags)
    if complaints is not None and len(complaints):
        extra = complaint_reasons(out, complaints)
        out["reason"] = [f"{r}; {e}" if e and r else (r or e) for r, e in zip(out["reason"], extra)]
    cols = ["touchpoint_id", "name", "stage", "rank", "score", "top3_share", "reason", "experience", "sales",
            "reach", "effort", "complaints", "importance", "csat", "attribution_share", "dropoff_excess",
            "reach_share", "negative_theme_share"]
    return out[cols].sort_values("rank").reset_index(drop=True)


def complaint_shares(complaints: pd.DataFrame | None, ids: list[str]) -> np.ndarray:
    """The negative-theme share of each touchpoint in ``ids`` (NaN without texts or with fewer than
    :data:`MIN_COMPLAINT_TEXTS`)."""
    if complaints is None or not len(complaints):
        return np.full(len(ids), np.nan)
    c = complaints.drop_duplicates("touchpoint_id").set_index("touchpoint_id")
    share = c["negative_theme_share"].reindex(ids).to_numpy(dtype=float)
    texts = c["texts"].reindex(ids).fillna(0).to_numpy(dtype=float)
    return np.where(texts >= MIN_COMPLAINT_TEXTS, share, np.nan)


def _key(frame: pd.DataFrame) -> str:
    return "touchpoint_id" if "touchpoint_id" in frame.columns else "channel"
