"""Attribution of conversions and revenue to touchpoints.

Input is a path table, one row per distinct journey path::

    path                         conversions  nulls  revenue
    "search_ads > website > checkout"   120     30    54000.0

``conversions`` journeys with that path ended in a purchase and ``nulls`` ended
without one; ``revenue`` (optional) is the revenue of the converting journeys.

Markov attribution (:func:`markov_attribution`) fits the absorbing Markov chain
``start -> touchpoints -> {conversion, null}`` from the transition counts and
solves it exactly: with ``Q`` the transient part and ``r`` the one-step
conversion probabilities, the conversion probabilities of all states are
``x = (I - Q)^-1 r`` (the fundamental matrix ``N = (I - Q)^-1`` times ``r``).
The *removal effect* of touchpoint *c* is ``1 - x_c(start) / x(start)`` where
``x_c`` solves the same chain with every state containing *c* sent to null.
Conversions are shared out in proportion to the removal effects; revenue in
proportion to the removal effects of expected revenue (the same chain with each
state's one-step conversion probability replaced by its conversion revenue).
``order=k`` uses states made of the last *k* touchpoints.

Heuristic models (:func:`heuristic_attribution`) give each touch of a path a
fixed share: first touch, last touch, linear, time decay (half-life in steps)
and position-based (40/20/40). Time decay with a half-life in days needs the
timestamps and is an Ibis aggregate in :mod:`helpers.prioritise.journeys`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.linalg import spsolve

from helpers import journeys
from helpers.errors import DataError

SEP = ">"
HEURISTICS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")


# ---------------------------------------------------------------------------
# Parsing a path table once into flat arrays
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedPaths:
    """A path table as flat arrays: one entry per touch, plus per-path counts."""

    channels: np.ndarray     # channel names, sorted
    code: np.ndarray         # per touch: index into channels
    path: np.ndarray         # per touch: index of its path
    position: np.ndarray     # per touch: 0 for the first touch of the path
    length: np.ndarray       # per path: number of touches
    conversions: np.ndarray  # per path
    nulls: np.ndarray        # per path
    revenue: np.ndarray      # per path

    @property
    def journeys(self) -> np.ndarray:
        return self.conversions + self.nulls

    @property
    def is_last(self) -> np.ndarray:
        return self.position == self.length[self.path] - 1

    def with_counts(self, conversions: np.ndarray, nulls: np.ndarray, revenue: np.ndarray) -> "ParsedPaths":
        return ParsedPaths(self.channels, self.code, self.path, self.position, self.length,
                           conversions, nulls, revenue)


def parse_paths(paths: pd.DataFrame | ParsedPaths, sep: str = SEP) -> ParsedPaths:
    """Check and flatten a path table (see the module docstring)."""
    if isinstance(paths, ParsedPaths):
        return paths
    missing = [c for c in ("path", "conversions", "nulls") if c not in paths.columns]
    if missing:
        raise DataError(f"the path table lacks columns {missing}",
                        hint="give columns path ('a > b > c'), conversions and nulls (and optionally revenue)")
    conv = pd.to_numeric(paths["conversions"], errors="coerce").to_numpy(dtype=float)
    nulls = pd.to_numeric(paths["nulls"], errors="coerce").to_numpy(dtype=float)
    rev = (pd.to_numeric(paths["revenue"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
           if "revenue" in paths.columns else np.zeros(len(paths)))
    if np.isnan(conv).any() or np.isnan(nulls).any() or (conv < 0).any() or (nulls < 0).any():
        raise DataError("conversions and nulls must be non-negative numbers",
                        hint="check the path table for empty or negative counts")
    keep = (conv + nulls) > 0
    text = paths["path"].astype(str).to_numpy()[keep]
    conv, nulls, rev = conv[keep], nulls[keep], rev[keep]
    if len(text) == 0:
        raise DataError("the path table holds no journeys", hint="check the period and the event data")
    length = np.fromiter((t.count(sep) + 1 for t in text), dtype=np.int64, count=len(text))
    tokens = pd.Series(sep.join(text).split(sep)).str.strip()
    if (tokens == "").any():
        bad = text[np.searchsorted(np.cumsum(length), int(np.flatnonzero((tokens == "").to_numpy())[0]), "right")]
        raise DataError(f"path '{bad}' has an empty step", hint=f"separate touchpoints with ' {sep} '")
    code, channels = pd.factorize(tokens, sort=True)
    path_idx = np.repeat(np.arange(len(text)), length)
    starts = np.cumsum(length) - length
    position = np.arange(len(code)) - starts[path_idx]
    return ParsedPaths(np.asarray(channels, dtype=object), code.astype(np.int64), path_idx, position,
                       length, conv, nulls, rev)


# ---------------------------------------------------------------------------
# The absorbing Markov chain
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Chain:
    """States and transition structure of an order-k chain (counts come from path weights)."""

    order: int
    n_states: int              # transient states incl. start (index 0)
    members: np.ndarray        # (n_states, n_channels) bool: state contains channel
    labels: list               # state labels (tuples of channel names; () for start)
    touch_from: np.ndarray     # per touch: state before the touch
    touch_to: np.ndarray       # per touch: state after the touch
    end_state: np.ndarray      # per path: state of its last touch


def _build_chain(pp: ParsedPaths, order: int) -> _Chain:
    if order < 1:
        raise DataError(f"order must be 1 or more, got {order}", hint="use order=1 (or 2, 3 for longer memory)")
    n_ch = len(pp.channels)
    base = n_ch + 1                      # digit n_ch means "before the journey started"
    key = np.zeros(len(pp.code), dtype=np.int64)
    digits = []
    for lag in range(order):
        valid = pp.position >= lag
        shifted = np.full(len(pp.code), n_ch, dtype=np.int64)
        idx = np.flatnonzero(valid)
        shifted[idx] = pp.code[idx - lag]
        digits.append(shifted)
        key = key * base + shifted
    state_code, uniques = pd.factorize(key, sort=True)
    n_states = len(uniques) + 1
    to = state_code.astype(np.int64) + 1
    frm = np.zeros_like(to)
    inner = pp.position > 0
    frm[inner] = to[np.flatnonzero(inner) - 1]
    # which channels each state contains (decode the digits of each unique key)
    members = np.zeros((n_states, n_ch), dtype=bool)
    labels: list = [()]
    rest = np.asarray(uniques, dtype=np.int64).copy()
    dig = np.zeros((len(rest), order), dtype=np.int64)
    for pos in range(order - 1, -1, -1):
        dig[:, pos] = rest % base
        rest //= base
    for s in range(len(uniques)):
        ds = [int(d) for d in dig[s] if d != n_ch]   # lag 0 is digit 0 ... most recent first
        members[s + 1, ds] = True
        labels.append(tuple(pp.channels[d] for d in reversed(ds)))
    last = np.flatnonzero(pp.is_last)
    end_state = np.zeros(len(pp.length), dtype=np.int64)
    end_state[pp.path[last]] = to[last]
    return _Chain(order, n_states, members, labels, frm, to, end_state)


def _transition_counts(chain: _Chain, pp: ParsedPaths):
    """Sparse transient counts Q (n x n) and absorbing counts (conv, null) per state."""
    w = pp.journeys[pp.path]
    q = sparse.csr_matrix((w, (chain.touch_from, chain.touch_to)), shape=(chain.n_states, chain.n_states))
    conv = np.bincount(chain.end_state, weights=pp.conversions, minlength=chain.n_states)
    null = np.bincount(chain.end_state, weights=pp.nulls, minlength=chain.n_states)
    return q, conv, null


def _conversion_probabilities(q_counts, conv, null, keep: np.ndarray | None = None,
                              reward: np.ndarray | None = None) -> float:
    """P(conversion | start) of the chain; states with ``keep == False`` go straight to null.
    With ``reward`` (revenue of the conversions that end in each state) it is the expected
    revenue per journey instead: the one-step conversion value replaces the probability.

    ``q_counts`` is a dense array (small chains) or a sparse matrix (large higher-order chains).
    """
    dense = isinstance(q_counts, np.ndarray)
    out = (q_counts.sum(axis=1) if dense else np.asarray(q_counts.sum(axis=1)).ravel()) + conv + null
    scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    if keep is not None:
        scale = scale * keep
    r = (conv if reward is None else reward) * scale
    n = q_counts.shape[0]
    if dense:
        a = np.eye(n) - q_counts * scale[:, None]
        return float(np.linalg.solve(a, r)[0])
    a = (sparse.identity(n, format="csc") - sparse.diags(scale) @ q_counts).tocsc()
    return float(spsolve(a, r)[0])


DENSE_MAX_STATES = 400


@dataclass(frozen=True)
class MarkovResult:
    """Exact Markov attribution.

    ``table``: one row per channel with its removal effect, share (removal effects
    normalised to 1) and attributed conversions; revenue is shared out by the removal
    effects of the same chain valued in revenue (``removal_effect_revenue``: the share
    of expected revenue per journey lost without the channel). ``conversion_probability``
    is P(conversion | start) of the fitted chain.
    """

    order: int
    table: pd.DataFrame
    conversion_probability: float
    total_conversions: float
    total_revenue: float
    n_states: int

    @property
    def removal_effects(self) -> pd.Series:
        return self.table.set_index("channel")["removal_effect"]


def _removal_effects(chain: _Chain, pp: ParsedPaths, value: bool = False) -> tuple[float, np.ndarray]:
    """Base conversion probability (or expected revenue per journey with ``value``) and the
    removal effect of every channel."""
    q, conv, null = _transition_counts(chain, pp)
    reward = np.bincount(chain.end_state, weights=pp.revenue, minlength=chain.n_states) if value else None
    if chain.n_states <= DENSE_MAX_STATES:
        q = q.toarray()
    base = _conversion_probabilities(q, conv, null, reward=reward)
    effects = np.zeros(len(pp.channels))
    if base <= 0:
        return base, effects
    for c in range(len(pp.channels)):
        p_without = _conversion_probabilities(q, conv, null, keep=~chain.members[:, c], reward=reward)
        effects[c] = 1.0 - p_without / base
    return base, np.clip(effects, 0.0, 1.0)


def _shares(effects: np.ndarray) -> np.ndarray:
    total = effects.sum()
    return effects / total if total > 0 else np.zeros_like(effects)


def markov_attribution(paths: pd.DataFrame | ParsedPaths, order: int = 1) -> MarkovResult:
    """Markov-chain attribution with exact removal effects (see the module docstring)."""
    pp = parse_paths(paths)
    chain = _build_chain(pp, order)
    base, effects = _removal_effects(chain, pp)
    share = _shares(effects)
    total_conv, total_rev = float(pp.conversions.sum()), float(pp.revenue.sum())
    if total_rev > 0:
        _, value_effects = _removal_effects(chain, pp, value=True)
    else:
        value_effects = np.zeros_like(effects)
    table = pd.DataFrame({"channel": pp.channels, "removal_effect": effects, "share": share,
                          "conversions": share * total_conv, "removal_effect_revenue": value_effects,
                          "revenue": _shares(value_effects) * total_rev})
    return MarkovResult(order, table, base, total_conv, total_rev, chain.n_states)


def transition_matrix(paths: pd.DataFrame | ParsedPaths) -> pd.DataFrame:
    """First-order transition probabilities estimated from the paths: rows ``start`` and
    each channel, columns each channel, ``conversion`` and ``null``; rows sum to 1.

    The moves of every journey (start to its first touch, touch to touch, its last touch to
    conversion or null) are counted and shared out by :func:`helpers.journeys.transition_matrix`."""
    pp = parse_paths(paths)
    names = pp.channels[pp.code]
    first = pp.position == 0
    before = np.where(first, "start", np.roll(names, 1)) if len(names) else names
    w = pp.journeys[pp.path]
    last = np.flatnonzero(pp.is_last)
    moves = pd.DataFrame({
        "from": np.concatenate([before, names[last], names[last]]).astype(object),
        "to": np.concatenate([names, np.full(len(last), "conversion", dtype=object),
                              np.full(len(last), "null", dtype=object)]).astype(object),
        "count": np.concatenate([w, pp.conversions[pp.path[last]], pp.nulls[pp.path[last]]]),
    })
    out = journeys.transition_matrix(moves, order=list(pp.channels), start="start", ends=("conversion", "null"))
    out.columns.name = None
    return out


def markov_draws(paths: pd.DataFrame | ParsedPaths, n_boot: int = 200, seed: int = 20260701,
                 order: int = 1) -> pd.DataFrame:
    """Bootstrap attribution shares (rows: resamples, columns: channels).

    Journeys are resampled with Poisson(1) weights, which for an aggregated path
    table means drawing each path's conversions and nulls from Poisson distributions.
    A resample without any conversion has no shares (a row of NaN).
    """
    pp = parse_paths(paths)
    chain = _build_chain(pp, order)
    rng = np.random.default_rng(seed)
    out = np.full((n_boot, len(pp.channels)), np.nan)
    for b in range(n_boot):
        conv = rng.poisson(pp.conversions).astype(float)
        null = rng.poisson(pp.nulls).astype(float)
        if conv.sum() == 0:  # nothing to share out in this resample: left as NaN
            continue
        _, effects = _removal_effects(chain, pp.with_counts(conv, null, pp.revenue))
        out[b] = _shares(effects)
    return pd.DataFrame(out, columns=list(pp.channels))


# ---------------------------------------------------------------------------
# Heuristic models
# ---------------------------------------------------------------------------

def touch_weights(pp: ParsedPaths, model: str, *, half_life: float = 2.0, first_share: float = 0.4,
                  last_share: float = 0.4) -> np.ndarray:
    """Share of its path's conversion that each touch receives (shares of a path sum to 1)."""
    n = pp.length[pp.path].astype(float)
    pos = pp.position.astype(float)
    if model == "first_touch":
        return (pos == 0).astype(float)
    if model == "last_touch":
        return (pos == n - 1).astype(float)
    if model == "linear":
        return 1.0 / n
    if model == "time_decay":
        if not half_life > 0:
            raise DataError(f"half_life must be positive, got {half_life}", hint="give the half-life in steps, e.g. 2")
        ratio = 0.5 ** (1.0 / half_life)
        raw = ratio ** (n - 1 - pos)                      # the last touch gets weight 1
        return raw * (1 - ratio) / (1 - ratio ** n)       # divided by sum_{j<n} ratio^j
    if model == "position_based":
        if first_share < 0 or last_share < 0 or first_share + last_share > 1:
            raise DataError("first_share and last_share must be non-negative and sum to at most 1",
                            hint="the default is 0.4 and 0.4 (40/20/40)")
        middle = (1 - first_share - last_share) / np.maximum(n - 2, 1)
        w = np.where(pos == 0, first_share, np.where(pos == n - 1, last_share, middle))
        w = np.where(n == 2, np.where(pos == 0, first_share, last_share) / (first_share + last_share or 1.0), w)
        return np.where(n == 1, 1.0, w)
    raise DataError(f"unknown attribution model '{model}'", hint=f"use one of {', '.join(HEURISTICS)}")


def heuristic_attribution(paths: pd.DataFrame | ParsedPaths, model: str = "linear", **options) -> pd.DataFrame:
    """Conversions and revenue per channel under a rule-based model
    (``first_touch``, ``last_touch``, ``linear``, ``time_decay``, ``position_based``)."""
    pp = parse_paths(paths)
    w = touch_weights(pp, model, **options)
    c = len(pp.channels)
    conv = np.bincount(pp.code, weights=w * pp.conversions[pp.path], minlength=c)
    rev = np.bincount(pp.code, weights=w * pp.revenue[pp.path], minlength=c)
    total = conv.sum()
    return pd.DataFrame({"channel": pp.channels, "conversions": conv,
                         "share": conv / total if total > 0 else np.zeros(c), "revenue": rev})


def attribution_models(paths: pd.DataFrame | ParsedPaths, *, value: str = "conversions", order: int = 1,
                       half_life: float = 2.0, markov: MarkovResult | None = None) -> pd.DataFrame:
    """Side by side: attributed ``value`` (conversions or revenue) per channel under the
    Markov model and every heuristic model; one column per model (their labels are
    :data:`helpers.prioritise.narrative.MODEL_LABELS`)."""
    if value not in ("conversions", "revenue", "share"):
        raise DataError(f"unknown value '{value}'", hint="use conversions, revenue or share")
    pp = parse_paths(paths)
    mk = markov if markov is not None else markov_attribution(pp, order=order)
    out = pd.DataFrame({"channel": pp.channels})
    out["markov"] = mk.table.set_index("channel").loc[pp.channels, value].to_numpy()
    for model in HEURISTICS:
        opts = {"half_life": half_life} if model == "time_decay" else {}
        out[model] = heuristic_attribution(pp, model, **opts)[value].to_numpy()
    return out.sort_values("markov", ascending=False).reset_index(drop=True)
