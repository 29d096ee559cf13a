"""Deterministic demo data with a planted, documented ground truth.

>>> from helpers import demo
>>> demo.write_demo(Path("."), events=60_000)          # data/nordlys/ and data/fjordtech/
['nordlys', 'fjordtech']
>>> demo.GROUND_TRUTH["nordlys"].drop_off_touchpoint
'faq'

Two demo clients are generated from one engine driven by a :class:`ClientSpec`:

* ``nordlys``: a Danish omnichannel retailer, 17 catalogued touchpoints, six quarters 2025Q2-2026Q3,
  about 1,000,000 events and 50,000 customers at the default size;
* ``fjordtech``: a Norwegian B2B software service, 10 touchpoints, five quarters 2025Q3-2026Q3,
  a few thousand accounts.

For each client :func:`write_demo` writes ``data/<client>/client.yml`` and the raw exports
``raw/{events,feedback,orders,reviews,costs}.csv``: UTF-8, comma separated, canonical column names,
timestamps in the client's local time (``YYYY-MM-DD HH:MM:SS``), raw CRM customer ids, some free texts
with an e-mail address or phone number, and a few deliberately malformed rows (:data:`BAD_ROWS`).

What is planted (the "answers" analyses should find) is in :data:`GROUND_TRUTH` and docs/demo-data.md.
Everything is drawn from one ``numpy.random.Generator`` seeded with ``seed``: the same ``seed`` and
``events`` give byte-identical files. Events are generated and written in chunks of journeys, so
memory stays flat at any size (``tpkit demo --events 10000000``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml

from helpers.demo.ratings import LATENT_SD, expected_rating

DEFAULT_SEED = 20260930
DEFAULT_EVENTS = 1_000_000
DEMO_CLIENTS = ("nordlys", "fjordtech")
EVENTS_PER_CUSTOMER = 20
JOURNEYS_PER_CHUNK = 50_000
MAX_STEPS = 40
MONTH_SHOCK_SD = 0.06  # common monthly shock on every touchpoint's latent CSAT (parallel trends hold)
HALO_SD = 0.15  # sd of a respondent's general mood, shared by all answers of one relationship survey

RAW_FILES = ("events", "feedback", "orders", "reviews", "costs")
COLUMNS = {
    "events": ["customer_id", "ts", "touchpoint_id", "journey_id", "converted", "revenue", "segment", "variant"],
    "feedback": ["response_id", "survey_id", "customer_id", "ts", "touchpoint_id", "csat", "nps", "ces",
                 "comment", "source", "segment", "variant"],
    "orders": ["order_id", "customer_id", "ts", "revenue", "touchpoint_id", "segment"],
    "reviews": ["review_id", "source", "ts", "rating", "title", "text", "touchpoint_id", "reply", "language"],
    "costs": ["touchpoint_id", "period", "cost"],
}

# ------------------------------------------------------------------ malformed rows
#: The malformed rows planted in every client's raw files: (column, bad value, what is wrong).
#: Each is an EXTRA row (a damaged copy of a valid row placed right after it), so the valid data is intact
#: and ingest must reject exactly ``len(BAD_ROWS[file])`` rows of that file.
BAD_ROWS: Mapping[str, tuple[tuple[str, str, str], ...]] = MappingProxyType({
    "events": (
        ("customer_id", "", "missing customer_id"),
        ("customer_id", "", "missing customer_id"),
        ("customer_id", "", "missing customer_id"),
        ("ts", "not a date", "unparseable date"),
        ("ts", "2026-02-30 12:00:00", "impossible date (30 February)"),
        ("revenue", "-499.00", "negative revenue"),
        ("revenue", "-1250.50", "negative revenue"),
        ("revenue", "abc", "non-numeric revenue"),
        ("touchpoint_id", "", "missing touchpoint_id"),
    ),
    "feedback": (
        ("csat", "7", "csat 7 (scale is 1-5)"),
        ("csat", "0", "csat 0 (scale is 1-5)"),
        ("nps", "11", "nps 11 (scale is 0-10)"),
        ("nps", "11", "nps 11 (scale is 0-10)"),
        ("ts", "31-13-2025", "unparseable date"),
        ("response_id", "@dup", "duplicate response_id"),
        ("response_id", "@dup", "duplicate response_id"),
        ("ces", "9", "ces 9 (scale is 1-7)"),
    ),
    "orders": (
        ("revenue", "-349.00", "negative revenue"),
        ("revenue", "-89.95", "negative revenue"),
        ("revenue", "n.a.", "non-numeric revenue"),
        ("customer_id", "", "missing customer_id"),
        ("customer_id", "", "missing customer_id"),
        ("order_id", "@dup", "duplicate order_id"),
        ("ts", "yesterday", "unparseable date"),
    ),
    "reviews": (
        ("rating", "five", "non-numeric rating"),
        ("rating", "great", "non-numeric rating"),
        ("rating", "0", "rating 0 (scale is 1-5)"),
        ("rating", "6", "rating 6 (scale is 1-5)"),
        ("review_id", "@dup", "duplicate review_id"),
        ("ts", "2025-04-31 10:00:00", "impossible date (31 April)"),
    ),
    "costs": (),
})


# ------------------------------------------------------------------ specification of a client


@dataclass(frozen=True)
class TP:
    id: str
    name: str
    kind: str
    stage: str
    owner: str
    sources: tuple[str, ...]
    csat: float  # latent mean CSAT (reference segment, before any change)
    response_rate: float = 0.0  # share of this touchpoint's events followed by a transactional survey
    effort: float | None = None
    cost: float | None = None  # cost per quarter (client currency), None = no cost data
    catalogued: bool = True
    survey_weight: float = 1.0  # how often relationship-survey respondents rate it


@dataclass(frozen=True)
class Segment:
    """A customer segment: its share of customers and how it differs from the reference segment."""

    name: str
    share: float
    exit_mult: float = 1.0  # multiplies every exit-to-null weight of the chain before rows are normalised
    csat_shift: float = 0.0  # added to the latent CSAT of every touchpoint (and overall satisfaction)
    spend_mult: float = 1.0  # multiplies the mean order value


@dataclass(frozen=True)
class ClientSpec:
    """Everything that defines one demo client; the generator is the same for all clients."""

    client_id: str
    name: str
    timezone: str
    currency: str
    language: str
    prefix: str  # raw customer-id prefix
    colour: str
    start: str
    end: str
    first_period: str
    touchpoints: tuple[TP, ...]
    segments: tuple["Segment", ...]  # the last one is the reference segment
    start_probs: dict
    transitions: dict  # from -> {to: weight}; "conversion" only from decision touchpoints
    retention: dict  # decision tp -> tuple of (tp, probability, median hours, sigma)
    gap_hours: dict  # median hours before an event at this touchpoint (pre-purchase), default key "*"
    driver_weights: dict
    overall_base: float
    order_value: float  # mean order value of the reference segment
    extra_orders: tuple[float, float, float, float]  # BG/NBD-like repeat purchases: r, alpha (days), a, b
    seasonal: str
    texts: str
    review_sources: tuple[str, ...]
    changes: tuple[dict, ...]
    priority_weights: dict
    reviews_per_event: float
    survey_share: float  # relationship-survey respondents per quarter / customers
    events_per_customer: int = EVENTS_PER_CUSTOMER
    events_share: float = 1.0  # this client's events / the `events` argument
    min_events: int = 0
    max_events: int | None = None


NORDLYS = ClientSpec(
    client_id="nordlys",
    name="Nordlys Living A/S",
    timezone="Europe/Copenhagen",
    currency="DKK",
    language="da",
    prefix="NL-",
    colour="#0b5563",
    start="2025-04-01",
    end="2026-09-30",
    first_period="2025Q2",
    touchpoints=(
        TP("social_ads", "Social ads (Meta)", "digital", "awareness", "Marketing", ("events", "feedback"), 3.7,
            0.004, effort=2, cost=420_000),
        TP("search_ads", "Search ads (Google)", "digital", "awareness", "Marketing", ("events", "feedback"), 3.8,
            0.004, effort=2, cost=510_000),
        TP("trade_fair", "Messe / trade fair stand", "physical", "awareness", "Marketing", ("events", "feedback"),
            4.0, 0.0, effort=4, cost=180_000),
        TP("review_site", "Review sites (Trustpilot, Google)", "digital", "awareness", "Customer service",
            ("events", "reviews"), 3.9, 0.01),
        TP("website", "Website nordlys.dk", "digital", "consideration", "E-commerce", ("events", "feedback"), 3.9,
            0.02, effort=3, survey_weight=3.0),
        TP("app", "Nordlys app", "digital", "consideration", "E-commerce", ("events", "feedback"), 4.0, 0.03,
            effort=4, cost=150_000, survey_weight=2.0),
        TP("newsletter", "Nyhedsbrev (newsletter)", "digital", "consideration", "CRM", ("events", "feedback"), 3.7,
            0.06, effort=1, cost=60_000),
        TP("store", "Flagship store", "physical", "consideration", "Retail", ("events", "feedback", "reviews"), 4.3,
            0.05, effort=5, cost=950_000, survey_weight=2.5),
        TP("chat", "Chat on website", "digital", "consideration", "Customer service", ("events", "feedback"), 3.6,
            0.25, effort=2, cost=140_000, survey_weight=1.5),
        TP("faq", "FAQ / help pages", "digital", "consideration", "E-commerce", ("events", "feedback"), 3.3, 0.03,
            effort=1),
        TP("web_checkout", "Web checkout", "digital", "decision", "E-commerce",
            ("events", "feedback", "orders", "reviews"), 3.6, 0.15, effort=3, survey_weight=3.0),
        TP("store_checkout", "Kasse i butik (store checkout)", "physical", "decision", "Retail",
            ("events", "feedback", "orders", "reviews"), 4.1, 0.08, effort=3, survey_weight=2.0),
        TP("packaging", "Packaging and delivery", "physical", "retention", "Logistics",
            ("events", "feedback", "reviews"), 4.4, 0.06, effort=2, survey_weight=1.5),
        TP("invoice_mail", "Invoice e-mail", "digital", "retention", "Finance", ("events", "feedback"), 3.9, 0.02,
            effort=1),
        TP("feedback_survey", "Feedback survey", "digital", "retention", "CX", ("events", "feedback"), 3.8, 0.05),
        TP("service_centre", "Kundeservice (service centre)", "physical", "retention", "Customer service",
            ("events", "feedback", "reviews"), 3.2, 0.30, effort=3, cost=600_000, survey_weight=2.0),
        TP("upsell_mail", "Upsell e-mail", "digital", "retention", "CRM", ("events", "feedback"), 3.5, 0.02,
            effort=1, cost=25_000),
        TP("tiktok_ads", "TikTok ads", "digital", "awareness", "Marketing", ("events",), 3.7, 0.0,
            catalogued=False),
    ),
    segments=(Segment("club", 0.30, exit_mult=0.42, csat_shift=0.30, spend_mult=1.35), Segment("guest", 0.70)),
    start_probs={"social_ads": 0.19, "search_ads": 0.22, "review_site": 0.05, "tiktok_ads": 0.04, "website": 0.17,
                 "app": 0.10, "newsletter": 0.09, "store": 0.14},
    transitions={
        "social_ads": {"app": 0.40, "website": 0.22, "store": 0.05, "null": 0.33},
        "search_ads": {"website": 0.64, "app": 0.05, "faq": 0.05, "null": 0.26},
        "review_site": {"website": 0.35, "store": 0.15, "search_ads": 0.05, "null": 0.45},
        "tiktok_ads": {"app": 0.30, "website": 0.18, "null": 0.52},
        "website": {"web_checkout": 0.28, "faq": 0.13, "chat": 0.08, "app": 0.05, "store": 0.08, "null": 0.38},
        "app": {"web_checkout": 0.30, "website": 0.12, "chat": 0.05, "faq": 0.05, "null": 0.48},
        "newsletter": {"website": 0.45, "app": 0.10, "store": 0.10, "null": 0.35},
        "store": {"store_checkout": 0.52, "website": 0.06, "null": 0.42},
        "chat": {"web_checkout": 0.30, "website": 0.15, "store": 0.08, "null": 0.47},
        "faq": {"website": 0.12, "chat": 0.12, "web_checkout": 0.04, "null": 0.72},
        "web_checkout": {"conversion": 0.60, "null": 0.40},
        "store_checkout": {"conversion": 0.88, "null": 0.12},
    },
    retention={
        "web_checkout": (("invoice_mail", 0.90, 0.2, 0.5), ("packaging", 0.95, 48, 0.4),
                         ("feedback_survey", 0.45, 170, 0.3), ("service_centre", 0.12, 240, 0.6),
                         ("upsell_mail", 0.35, 600, 0.3)),
        "store_checkout": (("invoice_mail", 0.55, 0.3, 0.5), ("feedback_survey", 0.30, 170, 0.3),
                           ("service_centre", 0.09, 240, 0.6), ("upsell_mail", 0.30, 600, 0.3)),
    },
    gap_hours={"*": 0.5, "store": 36, "store_checkout": 0.25, "web_checkout": 0.15, "newsletter": 48},
    driver_weights={"web_checkout": 0.45, "service_centre": 0.36, "website": 0.28, "store": 0.21, "app": 0.15,
                    "chat": 0.09, "packaging": 0.02, "store_checkout": 0.02, "faq": 0.01, "newsletter": 0.0,
                    "invoice_mail": 0.0, "upsell_mail": 0.0, "social_ads": 0.0, "search_ads": 0.0},
    overall_base=3.95,
    order_value=640.0,
    extra_orders=(0.9, 200.0, 0.9, 3.5),
    seasonal="retail",
    texts="da",
    review_sources=("trustpilot", "google"),
    changes=(
        dict(id="CH-checkout", touchpoint="web_checkout", description="One-page web checkout", start="2026-08-01",
             kpis=["conversion", "csat"], expected_direction="up", design="its",
             conversion_delta=0.05, csat_delta=0.35),
        dict(id="CH-newsletter", touchpoint="newsletter", description="Newsletter redesign", start="2026-07-15",
             kpis=["csat"], expected_direction="up", design="its"),
        dict(id="CH-service", touchpoint="service_centre", description="Call-back service in service centre",
             start="2026-05-01", kpis=["csat"], expected_direction="up", control={"touchpoints": ["chat"]},
             design="did", csat_delta=0.40),
        dict(id="CH-app-onboarding", touchpoint="app", description="New app onboarding (A/B test)",
             start="2026-07-01", kpis=["conversion"], expected_direction="up", ab_column="variant", design="ab",
             ab_delta=0.03, rescue_touchpoint="web_checkout"),
    ),
    priority_weights={"experience": 0.4, "sales": 0.4, "reach": 0.15, "effort": 0.05},
    reviews_per_event=0.003,
    survey_share=0.06,
    min_events=20_000,
)

FJORDTECH = ClientSpec(
    client_id="fjordtech",
    name="Fjordtech AS",
    timezone="Europe/Oslo",
    currency="NOK",
    language="no",
    prefix="FT-",
    colour="#6a3d9a",
    start="2025-07-01",
    end="2026-09-30",
    first_period="2025Q3",
    touchpoints=(
        TP("linkedin_ads", "LinkedIn ads", "digital", "awareness", "Marketing", ("events", "feedback"), 3.6, 0.01,
            effort=2, cost=210_000),
        TP("webinar", "Webinars", "digital", "awareness", "Marketing", ("events", "feedback"), 4.0, 0.15,
            effort=2, cost=60_000, survey_weight=1.5),
        TP("website", "Website fjordtech.no", "digital", "consideration", "Marketing", ("events", "feedback"), 3.8,
            0.02, effort=3, survey_weight=2.0),
        TP("free_trial", "Free trial", "digital", "consideration", "Product", ("events", "feedback"), 3.9, 0.12,
            effort=3, survey_weight=2.0),
        TP("sales_call", "Sales call (phone/video)", "digital", "consideration", "Sales", ("events", "feedback"),
            4.1, 0.20, effort=2, cost=450_000, survey_weight=2.0),
        TP("contract_signing", "Contract signing (e-sign)", "digital", "decision", "Sales",
            ("events", "feedback", "orders", "reviews"), 3.7, 0.20, effort=2, survey_weight=2.0),
        TP("onboarding", "Onboarding programme", "digital", "retention", "Customer success",
            ("events", "feedback", "reviews"), 3.9, 0.25, effort=3, cost=320_000, survey_weight=3.0),
        TP("support_portal", "Support portal", "digital", "retention", "Support", ("events", "feedback", "reviews"),
            3.4, 0.25, effort=3, cost=280_000, survey_weight=3.0),
        TP("account_review", "Quarterly account review", "digital", "retention", "Customer success",
            ("events", "feedback"), 4.0, 0.25, effort=2, survey_weight=1.5),
        TP("onsite_workshop", "On-site workshop", "physical", "retention", "Customer success",
            ("events", "feedback"), 4.4, 0.4, effort=4, cost=90_000, survey_weight=0.7),
    ),
    segments=(Segment("enterprise", 0.25, exit_mult=0.6, csat_shift=-0.15, spend_mult=3.0), Segment("smb", 0.75)),
    start_probs={"linkedin_ads": 0.40, "webinar": 0.15, "website": 0.45},
    transitions={
        "linkedin_ads": {"website": 0.45, "webinar": 0.15, "null": 0.40},
        "webinar": {"free_trial": 0.25, "sales_call": 0.25, "website": 0.15, "null": 0.35},
        "website": {"free_trial": 0.35, "sales_call": 0.12, "webinar": 0.08, "null": 0.45},
        "free_trial": {"sales_call": 0.30, "contract_signing": 0.30, "website": 0.05, "null": 0.35},
        "sales_call": {"contract_signing": 0.50, "free_trial": 0.15, "null": 0.35},
        "contract_signing": {"conversion": 0.75, "null": 0.25},
    },
    retention={
        "contract_signing": (("onboarding", 0.95, 48, 0.4), ("support_portal", 0.75, 150, 0.6),
                             ("support_portal", 0.45, 400, 0.5), ("account_review", 0.55, 600, 0.3),
                             ("onsite_workshop", 0.15, 300, 0.4)),
    },
    gap_hours={"*": 24, "website": 6, "contract_signing": 120, "sales_call": 72},
    driver_weights={"support_portal": 0.42, "onboarding": 0.33, "sales_call": 0.20, "free_trial": 0.12,
                    "account_review": 0.06, "website": 0.02, "webinar": 0.0, "contract_signing": 0.0,
                    "linkedin_ads": 0.0, "onsite_workshop": 0.0},
    overall_base=4.0,
    order_value=42_000.0,
    extra_orders=(1.2, 300.0, 1.0, 4.0),
    seasonal="b2b",
    texts="no",
    review_sources=("g2", "trustpilot"),
    changes=(
        dict(id="CH-portal-search", touchpoint="support_portal", description="New search in the support portal",
             start="2026-04-15", kpis=["csat"], expected_direction="up", design="its", csat_delta=0.50),
        dict(id="CH-trial-30", touchpoint="free_trial", description="Free trial extended from 14 to 30 days",
             start="2026-06-01", kpis=["conversion"], expected_direction="up", design="its"),
    ),
    priority_weights={"experience": 0.5, "sales": 0.3, "reach": 0.1, "effort": 0.1},
    reviews_per_event=0.004,
    survey_share=0.15,
    events_per_customer=30,
    events_share=0.065,
    min_events=15_000,
    max_events=70_000,
)

SPECS: Mapping[str, ClientSpec] = MappingProxyType({"nordlys": NORDLYS, "fjordtech": FJORDTECH})


# ------------------------------------------------------------------ the chain: states and matrices


def _chain_states(spec: ClientSpec) -> list[str]:
    """Transient states of the pre-purchase chain (catalogue order, unknown ids last)."""
    states = [t.id for t in spec.touchpoints if t.id in spec.transitions and t.catalogued]
    states += [t.id for t in spec.touchpoints if t.id in spec.transitions and not t.catalogued]
    return states


def _matrix(spec: ClientSpec, null_mult: float = 1.0, conversion_shift: dict | None = None) -> pd.DataFrame:
    """Transition matrix (rows: from-states; columns: states + conversion + null) for one segment."""
    states = _chain_states(spec)
    cols = states + ["conversion", "null"]
    m = pd.DataFrame(0.0, index=states, columns=cols)
    for src, row in spec.transitions.items():
        for dst, w in row.items():
            m.loc[src, dst] = w * (null_mult if dst == "null" else 1.0)
    m = m.div(m.sum(axis=1), axis=0)
    for src, delta in (conversion_shift or {}).items():
        move = min(delta, m.loc[src, "null"])
        m.loc[src, "conversion"] += move
        m.loc[src, "null"] -= move
    return m


def _absorption(start: pd.Series, m: pd.DataFrame, absorbing_extra: tuple[str, ...] = ()) -> dict:
    """Absorption probabilities and expected visits from ``start`` (states in ``absorbing_extra`` absorb)."""
    states = [s for s in m.index if s not in absorbing_extra]
    q = m.loc[states, states].to_numpy()
    n = np.linalg.inv(np.eye(len(states)) - q)
    s = start.reindex(states).fillna(0.0).to_numpy()
    out = {}
    for col in ["conversion", "null", *absorbing_extra]:
        r = m.loc[states, col].to_numpy()
        out[col] = float(s @ n @ r) + (float(start.get(col, 0.0)) if col in absorbing_extra else 0.0)
    out["visits"] = float((s @ n).sum())
    out["visits_by_state"] = dict(zip(states, s @ n))
    return out


def removal_effects(matrix: pd.DataFrame) -> dict[str, float]:
    """Exact removal effects of an absorbing chain (rows "start" + states; columns states, "conversion", "null").

    The removal effect of state k is ``1 - P(conversion | k removed) / P(conversion)``, where removing k sends
    every transition into k (and a start at k) to "null".
    """
    start = matrix.loc["start"]
    m = matrix.drop(index="start")
    base = _absorption(start, m)["conversion"]
    out = {}
    for k in m.index:
        m2 = m.copy()
        m2["null"] += m2[k]
        m2[k] = 0.0
        s2 = start.copy()
        s2["null"] = s2.get("null", 0.0) + s2[k]
        s2[k] = 0.0
        out[k] = 1.0 - _absorption(s2, m2)["conversion"] / base if base > 0 else 0.0
    return out


# ------------------------------------------------------------------ ground truth


@dataclass(frozen=True)
class ChangeTruth:
    """What a logged change really did.

    ``effects`` maps KPI -> true effect on the observed scale (CSAT in points of the 1-5 scale,
    conversion in proportion points, 0.03 = 3 percentage points); ``{}`` when the change did nothing.
    ``design`` is the evaluation design the data supports: "its", "did" or "ab"; ``null`` is True
    when the change has no effect at all.
    """

    change_id: str
    touchpoint: str
    start: str
    kpis: tuple[str, ...]
    design: str
    effects: Mapping[str, float]
    null: bool
    note: str = ""
    control_touchpoints: tuple[str, ...] = ()
    ab_column: str | None = None


@dataclass(frozen=True)
class GroundTruth:
    """The planted structure of one demo client (see docs/demo-data.md).

    Attributes
    ----------
    catalogue: touchpoint ids of client.yml, catalogue order.
    blind_spots: catalogued touchpoints with no events and no feedback in any period.
    unknown_touchpoints: ids that occur in events but are not catalogued.
    segments: segment -> share of customers.
    segment_conversion: segment -> probability that a journey converts (exact, from the chain, before changes).
    segment_csat_shift: segment -> latent CSAT shift relative to the reference segment (last one).
    drop_off_touchpoint: the pre-purchase touchpoint with the highest exit-to-null probability.
    start_probs: Series, probability that a journey starts at each state.
    transitions: DataFrame of the pre-purchase absorbing chain for the reference segment before any change:
        rows = "start" + transient states, columns = transient states + "conversion" + "null"; rows sum to 1.
    segment_transitions: segment -> the same matrix for that segment (the start row is shared).
    driver_weights: touchpoint -> weight of its satisfaction in overall satisfaction / NPS (descending).
    touchpoint_csat: touchpoint -> expected mean observed CSAT (1-5) of the reference segment before changes.
    touchpoint_csat_all: the same, mixing segments by their share of customers.
    changes: change id -> :class:`ChangeTruth`.
    bad_rows: raw file ("events", ...) -> number of planted malformed rows (rejects ingest must report).
    bad_row_kinds: raw file -> descriptions of the planted malformed rows.
    periods: quarter labels covered by the data.
    conversion_rate: share of journeys that convert, all segments, before changes (exact).
    pooled_transitions: the chain a first-order Markov model fitted to all journeys before 2026-07-01
        converges to: segment matrices mixed by expected visits of each segment (rows incl. "start").
    removal_effects: touchpoint -> exact removal effect in ``pooled_transitions`` (share of conversions lost
        when the touchpoint is removed and journeys reaching it end without purchase); what Markov
        attribution on pre-change journeys should recover.
    """

    client: str
    timezone: str
    currency: str
    periods: tuple[str, ...]
    catalogue: tuple[str, ...]
    blind_spots: tuple[str, ...]
    unknown_touchpoints: tuple[str, ...]
    segments: Mapping[str, float]
    segment_conversion: Mapping[str, float]
    segment_csat_shift: Mapping[str, float]
    drop_off_touchpoint: str
    start_probs: pd.Series
    transitions: pd.DataFrame
    segment_transitions: Mapping[str, pd.DataFrame]
    driver_weights: Mapping[str, float]
    touchpoint_csat: Mapping[str, float]
    touchpoint_csat_all: Mapping[str, float]
    changes: Mapping[str, ChangeTruth]
    bad_rows: Mapping[str, int]
    bad_row_kinds: Mapping[str, tuple[str, ...]]
    conversion_rate: float = 0.0
    pooled_transitions: pd.DataFrame | None = None
    removal_effects: Mapping[str, float] | None = None

    @property
    def driver_order(self) -> list[str]:
        """Touchpoints with a non-zero driver weight, most important first."""
        return [k for k, v in self.driver_weights.items() if v > 0]


def _segment_matrices(spec: ClientSpec, shift: dict | None = None) -> dict[str, pd.DataFrame]:
    return {seg.name: _matrix(spec, seg.exit_mult, shift) for seg in spec.segments}


def _app_touch_conversion(spec: ClientSpec, m: pd.DataFrame, tp: str) -> float:
    """P(journey converts | journey touches ``tp``) under matrix ``m``."""
    start = pd.Series(spec.start_probs, dtype=float)
    full = _absorption(start, m)
    cut = _absorption(start, m, absorbing_extra=(tp,))
    p_touch = cut[tp]
    return (full["conversion"] - cut["conversion"]) / p_touch if p_touch > 0 else 0.0


def _periods(spec: ClientSpec) -> tuple[str, ...]:
    out = []
    for d in pd.period_range(spec.start, spec.end, freq="Q"):
        out.append(f"{d.year}Q{d.quarter}")
    return tuple(out)


def _build_truth(spec: ClientSpec) -> GroundTruth:
    seg_names = [s.name for s in spec.segments]
    ref = seg_names[-1]
    mats = _segment_matrices(spec)
    start = pd.Series(spec.start_probs, dtype=float).reindex(_chain_states(spec)).fillna(0.0)

    def with_start(m: pd.DataFrame) -> pd.DataFrame:
        row = pd.DataFrame([start.reindex(m.columns).fillna(0.0).to_numpy()], index=["start"], columns=m.columns)
        return pd.concat([row, m])

    conv = {s: _absorption(start, mats[s])["conversion"] for s in seg_names}
    shares = {s.name: s.share for s in spec.segments}
    shifts = {s.name: s.csat_shift for s in spec.segments}
    pre = [t.id for t in spec.touchpoints if t.id in spec.transitions and t.stage in ("awareness", "consideration")
           and t.catalogued]
    m_ref = mats[ref]
    drop = max(pre, key=lambda s: m_ref.loc[s, "null"])
    used = set(spec.transitions) | {r[0] for rows in spec.retention.values() for r in rows}
    blind = tuple(t.id for t in spec.touchpoints if t.catalogued and t.id not in used)
    unknown = tuple(t.id for t in spec.touchpoints if not t.catalogued)
    cat = tuple(t.id for t in spec.touchpoints if t.catalogued)
    observed = [t for t in spec.touchpoints if t.catalogued and t.id not in blind]
    csat_ref = {t.id: round(float(expected_rating(t.csat)), 3) for t in observed}
    csat_all = {t.id: round(float(sum(shares[s] * expected_rating(t.csat + shifts[s]) for s in seg_names)), 3)
                for t in observed}
    changes = {}
    for ch in spec.changes:
        effects: dict[str, float] = {}
        tp = next(t for t in spec.touchpoints if t.id == ch["touchpoint"])
        if "csat_delta" in ch:
            effects["csat"] = round(float(sum(
                shares[s] * (expected_rating(tp.csat + shifts[s] + ch["csat_delta"])
                             - expected_rating(tp.csat + shifts[s]))
                for s in seg_names)), 4)
        if "conversion_delta" in ch:
            effects["conversion"] = ch["conversion_delta"]
        if "ab_delta" in ch:
            effects["conversion"] = ch["ab_delta"]
        note = {
            "its": "level change from the start date; no control group",
            "did": f"control touchpoints {', '.join(ch.get('control', {}).get('touchpoints', []))} unchanged; "
                   "treated and control share the same monthly shocks (parallel trends hold)",
            "ab": f"journeys touching {ch['touchpoint']} from the start date are randomised 50/50 to "
                  f"{ch.get('ab_column', 'variant')} A/B; B converts more",
        }[ch["design"]]
        if "conversion_delta" in ch:
            note += f"; conversion of journeys reaching {ch['touchpoint']} +{ch['conversion_delta']:.0%} points"
        changes[ch["id"]] = ChangeTruth(
            change_id=ch["id"], touchpoint=ch["touchpoint"], start=ch["start"], kpis=tuple(ch["kpis"]),
            design=ch["design"], effects=MappingProxyType(effects), null=not effects, note=note,
            control_touchpoints=tuple(ch.get("control", {}).get("touchpoints", ())), ab_column=ch.get("ab_column"),
        )
    overall = sum(shares[s] * conv[s] for s in seg_names)
    # the mixture a pooled first-order chain estimates: rows weighted by each segment's expected visits
    num = sum(shares[s] * mats[s].mul(pd.Series(_absorption(start, mats[s])["visits_by_state"]), axis=0)
              for s in seg_names)
    pooled = num.div(num.sum(axis=1), axis=0)
    pooled_full = with_start(pooled)
    return GroundTruth(
        client=spec.client_id,
        timezone=spec.timezone,
        currency=spec.currency,
        periods=_periods(spec),
        catalogue=cat,
        blind_spots=blind,
        unknown_touchpoints=unknown,
        segments=MappingProxyType(shares),
        segment_conversion=MappingProxyType({s: round(conv[s], 4) for s in seg_names}),
        segment_csat_shift=MappingProxyType(shifts),
        drop_off_touchpoint=drop,
        start_probs=start.rename("start"),
        transitions=with_start(m_ref),
        segment_transitions=MappingProxyType({s: with_start(mats[s]) for s in seg_names}),
        driver_weights=MappingProxyType(dict(sorted(spec.driver_weights.items(), key=lambda kv: -kv[1]))),
        touchpoint_csat=MappingProxyType(csat_ref),
        touchpoint_csat_all=MappingProxyType(csat_all),
        changes=MappingProxyType(changes),
        bad_rows=MappingProxyType({f: len(BAD_ROWS[f]) for f in RAW_FILES}),
        bad_row_kinds=MappingProxyType({f: tuple(b[2] for b in BAD_ROWS[f]) for f in RAW_FILES}),
        conversion_rate=round(overall, 4),
        pooled_transitions=pooled_full,
        removal_effects=MappingProxyType({k: round(v, 4) for k, v in removal_effects(pooled_full).items()}),
    )


GROUND_TRUTH: Mapping[str, GroundTruth] = MappingProxyType({c: _build_truth(s) for c, s in SPECS.items()})


def ground_truth(client: str, events: int | None = None, seed: int = DEFAULT_SEED) -> GroundTruth:
    """The planted truth of a demo client (the same at every size and seed)."""
    return GROUND_TRUTH[client]


# ------------------------------------------------------------------ sizes


def client_events(spec: ClientSpec, events: int | None) -> int:
    n = DEFAULT_EVENTS if events is None else int(events)
    n = int(round(n * spec.events_share))
    n = max(n, spec.min_events)
    if spec.max_events:
        n = min(n, spec.max_events)
    return n


# ------------------------------------------------------------------ generator


class _Csv:
    """Append-only CSV file with a fixed all-text schema."""

    def __init__(self, path: Path, columns: list[str], quote: bool) -> None:
        self.schema = pa.schema([(c, pa.string()) for c in columns])
        opts = pacsv.WriteOptions(quoting_style="needed" if quote else "none", batch_size=65536)
        self.writer = pacsv.CSVWriter(str(path), self.schema, write_options=opts)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        cols = []
        for name in self.schema.names:
            col = table.column(name) if name in table.column_names else pa.nulls(table.num_rows, pa.string())
            cols.append(col.cast(pa.string()) if col.type != pa.string() else col)
        self.writer.write_table(pa.Table.from_arrays(cols, schema=self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        self.writer.close()


def _text(values, mask=None) -> pa.Array:
    return pa.array(values, type=pa.string(), mask=mask)


def _ts_text(seconds: np.ndarray, timezone: str) -> pa.Array:
    """UTC seconds since the epoch -> local wall-clock time of ``timezone`` as 'YYYY-MM-DD HH:MM:SS'.

    (In the autumn the hour after the change back from summer time occurs twice, as in any local-time export.)
    """
    aware = pa.array(np.asarray(seconds, dtype="int64"), type=pa.timestamp("s", tz=timezone))
    return pc.local_timestamp(aware).cast(pa.string())


def _num_text(values: np.ndarray, decimals: int = 2, mask=None) -> pa.Array:
    return pa.array(np.round(np.asarray(values, dtype=float), decimals), mask=mask).cast(pa.string())


def _int_text(values: np.ndarray, mask=None) -> pa.Array:
    return pa.array(np.asarray(values, dtype="int64"), mask=mask).cast(pa.string())


def _plant_bad(table: pa.Table, file: str, rng: np.random.Generator, key: str | None,
               revenue_rows: np.ndarray | None = None) -> pa.Table:
    """Insert the planted malformed rows of ``file``: damaged copies placed right after their source rows.

    A copy gets its own key (source key + "x") unless the damage is the duplicate key itself, so each
    planted row has exactly one thing wrong. ``revenue_rows`` (events) are the rows a bad revenue is
    copied from (converting events), so only the revenue is wrong.
    """
    bad = BAD_ROWS[file]
    if not bad or table.num_rows == 0:
        return table
    table = pa.Table.from_arrays([c.cast(pa.string()) for c in table.columns], names=table.column_names)
    n = table.num_rows
    src = rng.choice(np.arange(1, n), size=len(bad), replace=False)
    if revenue_rows is not None and revenue_rows.size:
        for i, (col, _v, _w) in enumerate(bad):
            if col == "revenue":
                src[i] = rng.choice(revenue_rows)
    order_bad = np.argsort(src, kind="stable")
    src = src[order_bad]
    bad = [bad[i] for i in order_bad]
    copies = table.take(pa.array(src)).to_pylist()
    for rec, (col, value, _why) in zip(copies, bad):
        if value == "@dup":  # duplicate key: same key as its source row, other values kept
            continue
        if key:
            rec[key] = f"{rec[key]}x"
        rec[col] = None if value == "" else value
    extra = pa.Table.from_pylist(copies, schema=table.schema)
    combined = pa.concat_tables([table, extra])
    order = np.insert(np.arange(n), np.searchsorted(np.arange(n), src + 1), n + np.arange(len(bad)))
    return combined.take(pa.array(order))


class _Generator:
    def __init__(self, spec: ClientSpec, folder: Path, events: int, rng: np.random.Generator) -> None:
        self.spec = spec
        self.folder = folder
        self.raw = folder / "raw"
        self.rng = rng
        self.events_target = events
        self.truth = GROUND_TRUTH[spec.client_id]
        self.tp_ids = [t.id for t in spec.touchpoints]
        self.tp_index = {t: i for i, t in enumerate(self.tp_ids)}
        self.tps = {t.id: t for t in spec.touchpoints}
        # all times are generated as UTC seconds and written as local time
        self.t0 = self._utc(spec.start)
        self.t1 = self._utc(pd.Timestamp(spec.end) + pd.Timedelta(days=1)) - 1
        self.days = pd.date_range(spec.start, spec.end, freq="D")
        self.seg_names = [s.name for s in spec.segments]
        self.changes = {c["id"]: c for c in spec.changes}
        self.months = pd.period_range(spec.start, spec.end, freq="M")
        # common monthly shocks shared by every touchpoint (mean zero over the data period)
        self.month_shock = rng.normal(0.0, MONTH_SHOCK_SD, size=len(self.months))
        self.month_shock -= self.month_shock.mean()
        self._setup_chain()
        self._setup_customers()

    # -- set-up
    def _setup_chain(self) -> None:
        spec = self.spec
        self.states = _chain_states(spec)
        self.n_states = len(self.states)
        self.CONV, self.NULL = self.n_states, self.n_states + 1
        self.state_tp = np.array([self.tp_index[s] for s in self.states])
        conv_change = next((c for c in spec.changes if "conversion_delta" in c), None)
        self.conv_change = conv_change
        cums, self.ab_rescue = [], {}
        ab = next((c for c in spec.changes if "ab_delta" in c), None)
        self.ab = ab
        for post in (False, True):
            shift = {conv_change["touchpoint"]: conv_change["conversion_delta"]} if (post and conv_change) else None
            mats = _segment_matrices(spec, shift)
            for s in self.seg_names:
                cums.append(np.cumsum(mats[s].to_numpy(), axis=1))
                if ab:
                    c = _app_touch_conversion(spec, mats[s], ab["touchpoint"])
                    self.ab_rescue[(s, post)] = ab["ab_delta"] / (1.0 - c)
        # index = post * n_segments + segment
        self.cum = np.stack(cums)
        self.cum[:, :, -1] = 1.0 + 1e-9
        start = self.truth.start_probs.reindex(self.states).fillna(0.0).to_numpy()
        self.start_cum = np.cumsum(start)
        self.start_cum[-1] = 1.0 + 1e-9
        # expected events per journey (for the number of journeys to simulate)
        shares = self.truth.segments
        visits = conv = 0.0
        st = self.truth.start_probs
        for s in self.seg_names:
            a = _absorption(st, self.truth.segment_transitions[s].drop(index="start"))
            visits += shares[s] * a["visits"]
            conv += shares[s] * a["conversion"]
        ret = np.mean([sum(r[1] for r in rows) for rows in spec.retention.values()])
        self.events_per_journey = visits + conv * ret
        gh = spec.gap_hours
        self.gap_median = np.array([gh.get(s, gh["*"]) for s in self.states]) * 3600.0

    def _setup_customers(self) -> None:
        spec, rng = self.spec, self.rng
        n = max(self.events_target // spec.events_per_customer, 50)
        self.n_customers = n
        shares = np.array([s.share for s in spec.segments])
        self.cust_seg = rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int8)
        self.cust_activity = rng.gamma(2.0, 0.5, size=n)
        self.cust_cum = np.cumsum(self.cust_activity / self.cust_activity.sum())
        spend_mult = np.array([s.spend_mult for s in spec.segments])
        # gamma-gamma: each customer has a mean spend; orders scatter around it
        self.cust_spend = spec.order_value * spend_mult[self.cust_seg] * rng.gamma(4.0, 0.25, size=n)
        width = max(7, len(str(n)))
        self.cust_ids = pa.array([f"{spec.prefix}{i:0{width}d}" for i in range(1, n + 1)], type=pa.string())
        self.seg_text = pa.array(self.seg_names, type=pa.string())
        self.tp_text = pa.array(self.tp_ids, type=pa.string())
        # daily weights: growth and season
        days = self.days
        t = np.linspace(0, 1, len(days))
        doy = days.day_of_year.to_numpy()
        if spec.seasonal == "retail":
            w = (1 + 0.35 * t) * (1 + 0.12 * np.sin(2 * np.pi * (doy - 100) / 365.25))
            w = w * np.where(days.month.isin([11, 12]) & (days.day <= 24) | (days.month == 11), 1.35, 1.0)
            w = w * np.where(days.day_of_week >= 5, 1.15, 1.0)
        else:
            w = (1 + 0.25 * t) * np.where(days.month == 7, 0.5, 1.0) * np.where(days.day_of_week >= 5, 0.25, 1.0)
            w = w * np.where((days.month == 12) & (days.day >= 20), 0.4, 1.0)
        self.day_p = w / w.sum()
        hours = np.array([1, 0.5, 0.3, 0.3, 0.5, 1, 3, 6, 8, 9, 10, 10, 10, 9, 9, 9, 9, 9, 10, 11, 12, 10, 7, 3.0])
        if spec.seasonal != "retail":
            hours = np.array([0.2] * 7 + [3, 9, 10, 10, 8, 8, 10, 10, 9, 6, 2, 1, 1, 1, 0.5, 0.3, 0.2])
        self.hour_cum = np.cumsum(hours / hours.sum())
        self.hour_cum[-1] = 1.0 + 1e-9
        self.day0 = self.t0

    # -- helpers
    def _utc(self, local) -> int:
        """A local wall-clock time (date or timestamp) of the client as UTC seconds."""
        stamp = pd.Timestamp(local).tz_localize(self.spec.timezone, ambiguous=True, nonexistent="shift_forward")
        return int(stamp.tz_convert("UTC").value // 10**9)

    def _month_index(self, secs: np.ndarray) -> np.ndarray:
        m = np.asarray(secs, dtype="int64").astype("datetime64[s]").astype("datetime64[M]").astype(int)
        first = np.datetime64(self.spec.start, "M").astype(int)
        return np.clip(m - first, 0, len(self.months) - 1)

    def _latent_csat(self, tp_idx: np.ndarray, seg: np.ndarray, secs: np.ndarray) -> np.ndarray:
        mu = np.array([t.csat for t in self.spec.touchpoints])[tp_idx]
        shift = np.array([s.csat_shift for s in self.spec.segments])[seg]
        x = mu + shift + self.month_shock[self._month_index(secs)]
        for ch in self.spec.changes:
            if "csat_delta" in ch:
                since = self._utc(ch["start"])
                x = x + ch["csat_delta"] * ((tp_idx == self.tp_index[ch["touchpoint"]]) & (secs >= since))
        return x

    def _discrete(self, latent: np.ndarray, lo: int = 1, hi: int = 5) -> np.ndarray:
        return np.clip(np.rint(latent), lo, hi).astype(np.int64)

    # -- journeys
    def simulate_chunk(self, first_journey: int, day: np.ndarray) -> dict:
        """Simulate the journeys starting on the given days (one entry per journey)."""
        rng = self.rng
        n = day.size
        cust = np.searchsorted(self.cust_cum, rng.random(n) * (1 - 1e-12)).clip(0, self.n_customers - 1)
        seg = self.cust_seg[cust].astype(np.int64)
        hour = np.searchsorted(self.hour_cum, rng.random(n))
        start = self.day0 + day * 86400 + hour * 3600 + rng.integers(0, 3600, size=n)
        post_conv = np.zeros(n, dtype=np.int64)
        if self.conv_change:
            post_conv = (start >= self._utc(self.conv_change["start"])).astype(np.int64)
        mat = post_conv * len(self.seg_names) + seg
        # walk the chain
        state = np.searchsorted(self.start_cum, rng.random(n))
        j_list, s_list, k_list = [], [], []
        alive = np.arange(n)
        outcome = np.full(n, self.NULL)
        last_state = np.full(n, -1)
        for step in range(MAX_STEPS):
            if alive.size == 0:
                break
            j_list.append(alive)
            s_list.append(state)
            k_list.append(np.full(alive.size, step, dtype=np.int64))
            last_state[alive] = state
            u = rng.random(alive.size)
            nxt = (u[:, None] > self.cum[mat[alive], state]).sum(axis=1)
            done = nxt >= self.n_states
            outcome[alive[done]] = nxt[done]
            alive, state = alive[~done], nxt[~done]
        # (journeys still alive after MAX_STEPS end without purchase)
        jj = np.concatenate(j_list)
        ss = np.concatenate(s_list)
        kk = np.concatenate(k_list)
        order = np.lexsort((kk, jj))
        jj, ss, kk = jj[order], ss[order], kk[order]
        converted = outcome == self.CONV
        # A/B test: journeys from the start date touching the tested touchpoint get a variant
        variant = np.zeros(n, dtype=np.int8)  # 0 none, 1 A, 2 B
        if self.ab:
            ab_tp = self.states.index(self.ab["touchpoint"])
            touched = np.zeros(n, dtype=bool)
            touched[jj[ss == ab_tp]] = True
            in_test = touched & (start >= self._utc(self.ab["start"]))
            is_b = rng.random(n) < 0.5
            variant[in_test] = np.where(is_b[in_test], 2, 1)
            lookup = np.array([[self.ab_rescue[(name, post)] for name in self.seg_names] for post in (False, True)])
            rescue_p = lookup[post_conv, seg]
            rescued = (variant == 2) & ~converted & (rng.random(n) < rescue_p)
            if rescued.any():
                # a rescued journey buys at the rescue touchpoint: its last event when it ended there
                # (an abandoned checkout now completes), else one more event there
                rtp = self.states.index(self.ab["rescue_touchpoint"])
                rj = np.flatnonzero(rescued & (last_state != rtp))
                steps_per = np.bincount(jj, minlength=n)
                jj = np.concatenate([jj, rj])
                ss = np.concatenate([ss, np.full(rj.size, rtp)])
                kk = np.concatenate([kk, steps_per[rj]])
                order = np.lexsort((kk, jj))
                jj, ss, kk = jj[order], ss[order], kk[order]
                converted = converted | rescued
        # timestamps of pre-purchase events
        gap = np.exp(np.log(self.gap_median[ss]) + 1.1 * rng.standard_normal(ss.size))
        gap = np.minimum(gap, 10 * 86400.0)
        gap[kk == 0] = 0.0
        csum = np.cumsum(gap)
        first_idx = np.r_[0, np.flatnonzero(np.diff(jj)) + 1]
        base = np.repeat(csum[first_idx], np.diff(np.r_[first_idx, jj.size]))
        ts = start[jj] + (csum - base).astype(np.int64)
        last_idx = np.r_[first_idx[1:] - 1, jj.size - 1]
        conv_flag = np.zeros(jj.size, dtype=bool)
        conv_j = jj[last_idx]
        conv_flag[last_idx[converted[conv_j]]] = True
        # retention touches after a purchase
        pre_n = jj.size
        cj = np.flatnonzero(converted)
        conv_state = np.full(n, -1)
        conv_ts = np.zeros(n, dtype=np.int64)
        conv_state[conv_j[converted[conv_j]]] = ss[last_idx[converted[conv_j]]]
        conv_ts[conv_j[converted[conv_j]]] = ts[last_idx[converted[conv_j]]]
        rj, rtp, rts = [], [], []
        for dec, rows in self.spec.retention.items():
            d = self.states.index(dec)
            who = cj[conv_state[cj] == d]
            for tp, p, med_h, sigma in rows:
                take = who[rng.random(who.size) < p]
                off = np.exp(np.log(med_h * 3600.0) + sigma * rng.standard_normal(take.size))
                rj.append(take)
                rtp.append(np.full(take.size, self.tp_index[tp]))
                rts.append(conv_ts[take] + 60 + off.astype(np.int64))
        ev_j = np.concatenate([jj, *rj])
        ev_tp = np.concatenate([self.state_tp[ss], *rtp])
        ev_ts = np.concatenate([ts, *rts])
        ev_conv = np.concatenate([conv_flag, np.zeros(ev_j.size - pre_n, dtype=bool)])
        # journeys must end before the export date: shift late journeys back as a whole
        jmax = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(jmax, ev_j, ev_ts)
        over = np.maximum(jmax - self.t1, 0)
        over = np.where(over > 0, over + rng.integers(0, 3 * 86400, size=n), 0)  # no pile-up at the end
        ev_ts = ev_ts - over[ev_j]
        order = np.lexsort((ev_ts, ev_j))
        ev_j, ev_tp, ev_ts, ev_conv = ev_j[order], ev_tp[order], ev_ts[order], ev_conv[order]
        # revenue on the converting event
        revenue = np.zeros(ev_j.size)
        k = np.flatnonzero(ev_conv)
        c_of = cust[ev_j[k]]
        revenue[k] = np.round(rng.gamma(6.0, 1 / 6.0, size=k.size) * self.cust_spend[c_of], 2).clip(49)
        return dict(n=n, first=first_journey, cust=cust, seg=seg, variant=variant, j=ev_j, tp=ev_tp, ts=ev_ts,
                    conv=ev_conv, revenue=revenue, start=start)

    def events_table(self, c: dict) -> pa.Table:
        width = self.id_width
        jid = pa.array([f"J{c['first'] + i:0{width}d}" for i in range(c["n"])], type=pa.string())
        j = c["j"]
        vtext = pa.array([None, "A", "B"], type=pa.string())
        return pa.table({
            "customer_id": self.cust_ids.take(pa.array(c["cust"][j])),
            "ts": _ts_text(c["ts"], self.spec.timezone),
            "touchpoint_id": self.tp_text.take(pa.array(c["tp"])),
            "journey_id": jid.take(pa.array(j)),
            "converted": pa.array(c["conv"]).cast(pa.string()),
            "revenue": _num_text(c["revenue"], mask=~c["conv"]),
            "segment": self.seg_text.take(pa.array(c["seg"][j])),
            "variant": vtext.take(pa.array(c["variant"][j].astype(np.int64))),
        })

    # -- run
    def run(self) -> dict:
        """Write the raw files. Journeys are simulated in chunks of consecutive start days, so every file
        is (nearly) chronological and memory does not grow with the number of events."""
        rng = self.rng
        self.raw.mkdir(parents=True, exist_ok=True)
        n_journeys = max(int(round(self.events_target / self.events_per_journey)), 100)
        self.id_width = max(7, len(str(n_journeys)))
        per_day = rng.multinomial(n_journeys, self.day_p)
        cum = np.cumsum(per_day)
        # side data drawn up front (small or per customer), merged into the chunks by time
        extra = self._extra_orders()
        side_fb = self._side_feedback()
        writers = {
            "events": _Csv(self.raw / "events.csv", COLUMNS["events"], quote=False),
            "orders": _Csv(self.raw / "orders.csv", COLUMNS["orders"], quote=False),
            "feedback": _Csv(self.raw / "feedback.csv", COLUMNS["feedback"], quote=True),
        }
        self.next_id = {"orders": 1, "feedback": 1}
        pending_bad = {"events", "orders", "feedback"}
        d0, done, n_days = 0, 0, len(per_day)
        while d0 < n_days:
            d1 = int(np.searchsorted(cum, done + JOURNEYS_PER_CHUNK, side="right"))
            d1 = min(max(d1, d0 + 1), n_days)
            days = np.repeat(np.arange(d0, d1), per_day[d0:d1])
            lo = self.day0 + d0 * 86400
            hi = self.day0 + d1 * 86400 if d1 < n_days else np.iinfo(np.int64).max
            c = self.simulate_chunk(done + 1, days) if days.size else None
            tables = {
                "events": self.events_table(c) if c else None,
                "orders": self._orders_table(c, extra, lo, hi),
                "feedback": self._feedback_table(c, side_fb, lo, hi),
            }
            for name, table in tables.items():
                if table is None or table.num_rows == 0:
                    continue
                if name in pending_bad and table.num_rows > 4 * len(BAD_ROWS[name]):
                    key = {"orders": "order_id", "feedback": "response_id"}.get(name)
                    rev = np.flatnonzero(c["conv"]) if name == "events" else None
                    table = _plant_bad(table, name, rng, key, revenue_rows=rev)
                    pending_bad.discard(name)
                writers[name].write(table)
            done += days.size
            d0 = d1
        counts = {}
        for name, w in writers.items():
            w.close()
            counts[name] = w.rows
        counts["reviews"] = self.write_reviews()
        counts["costs"] = self.write_costs()
        self.write_config()
        return counts

    def _ids(self, table: str, n: int, prefix: str) -> pa.Array:
        first = self.next_id[table]
        self.next_id[table] += n
        w = self.id_width
        return pa.array([f"{prefix}{i:0{w}d}" for i in range(first, first + n)], type=pa.string())

    # -- orders
    def _extra_orders(self, block: int = 250_000) -> dict:
        """Purchases outside tracked journeys, BG/NBD-like: each customer buys at a Poisson rate
        (gamma-distributed across customers) and drops out after any purchase with a beta-distributed
        probability. Drawn in blocks of customers (bounded memory); returned sorted by time."""
        spec, rng = self.spec, self.rng
        r, alpha, a, b = spec.extra_orders
        dec = np.array([self.tp_index[d] for d in spec.retention])
        parts = []
        for lo in range(0, self.n_customers, block):
            n = min(block, self.n_customers - lo)
            lam = rng.gamma(r, 1.0 / alpha, size=n)  # purchases per day
            p_drop = rng.beta(a, b, size=n)
            birth = self.t0 + (rng.random(n) ** 1.5 * (self.t1 - self.t0)).astype(np.int64)
            birth[rng.random(n) < 0.35] = self.t0
            k = np.minimum(rng.geometric(p_drop), 25)  # purchases before dropping out
            rows = np.repeat(np.arange(n), k)
            waits = rng.exponential(1.0, size=rows.size) / lam[rows] * 86400.0
            first_idx = np.r_[0, np.cumsum(k)[:-1]]
            cs = np.cumsum(waits)
            base = np.repeat(cs[first_idx] - waits[first_idx], k)
            ts = birth[rows] + (cs - base).astype(np.int64)
            ok = ts <= self.t1
            rows, ts = rows[ok] + lo, ts[ok]
            rev = np.round(rng.gamma(6.0, 1 / 6.0, size=rows.size) * self.cust_spend[rows], 2).clip(49)
            tp = dec[rng.integers(0, len(dec), size=rows.size)]
            parts.append((rows, ts, rev, tp))
        rows, ts, rev, tp = (np.concatenate([p[i] for p in parts]) for i in range(4))
        order = np.lexsort((rows, ts))
        return dict(cust=rows[order], ts=ts[order], revenue=rev[order], tp=tp[order])

    def _orders_table(self, c: dict | None, extra: dict, lo: int, hi: int) -> pa.Table:
        """Orders of a chunk: one per converting event plus the extra purchases in [lo, hi)."""
        a, b = np.searchsorted(extra["ts"], [lo, hi])
        parts = [{k: v[a:b] for k, v in extra.items()}]
        if c is not None:
            k = np.flatnonzero(c["conv"])
            parts.append(dict(cust=c["cust"][c["j"][k]], ts=c["ts"][k], revenue=c["revenue"][k], tp=c["tp"][k]))
        cust, ts, rev, tp = (np.concatenate([p[f] for p in parts]) for f in ("cust", "ts", "revenue", "tp"))
        order = np.lexsort((cust, ts))
        cust, ts, rev, tp = cust[order], ts[order], rev[order], tp[order]
        return pa.table({
            "order_id": self._ids("orders", cust.size, "O" if self.spec.client_id == "nordlys" else "C"),
            "customer_id": self.cust_ids.take(pa.array(cust)),
            "ts": _ts_text(ts, self.spec.timezone),
            "revenue": _num_text(rev),
            "touchpoint_id": self.tp_text.take(pa.array(tp.astype(np.int64))),
            "segment": self.seg_text.take(pa.array(self.cust_seg[cust].astype(np.int64))),
        })

    # -- feedback
    def _side_feedback(self) -> tuple[np.ndarray, pa.Table]:
        """Relationship surveys and interviews (all periods), sorted by time, as text columns."""
        (s1, t1), (s2, t2) = self._relationship_survey(), self._interviews()
        table = pa.concat_tables([pa.Table.from_arrays([c.cast(pa.string()) for c in t.columns],
                                                       names=t.column_names).select(COLUMNS["feedback"][1:])
                                  for t in (t1, t2)])
        secs = np.concatenate([s1, s2])
        order = np.argsort(secs, kind="stable")
        return secs[order], table.take(pa.array(order))

    def _feedback_table(self, c: dict | None, side: tuple[np.ndarray, pa.Table], lo: int, hi: int) -> pa.Table:
        """Feedback of a chunk: transactional surveys after its events plus relationship rows in [lo, hi)."""
        rng = self.rng
        secs, side_table = side
        a, b = np.searchsorted(secs, [lo, hi])
        parts_ts = [secs[a:b]]
        parts = [side_table.slice(a, b - a)]
        if c is not None:
            rate = np.array([t.response_rate for t in self.spec.touchpoints])
            pick = np.flatnonzero(rng.random(c["tp"].size) < rate[c["tp"]])
            ts = c["ts"][pick] + np.exp(np.log(6 * 3600.0) + rng.standard_normal(pick.size)).astype(np.int64)
            keep = ts <= self.t1
            pick, ts = pick[keep], ts[keep]
            j = c["j"][pick]
            cust, seg, tp = c["cust"][j], c["seg"][j], c["tp"][pick].astype(np.int64)
            ab_tp = self.tp_index[self.ab["touchpoint"]] if self.ab else -1
            var = (c["variant"][j] * (tp == ab_tp)).astype(np.int64)
            n = tp.size
            latent = self._latent_csat(tp, seg, ts) + LATENT_SD * rng.standard_normal(n)
            csat = self._discrete(latent)
            nps = self._discrete(2.4 * (latent - 1.0) + 0.9 + 1.1 * rng.standard_normal(n), 0, 10)
            has_nps = rng.random(n) < 0.6
            ces = self._discrete(8.0 - 1.4 * latent + 0.8 * rng.standard_normal(n), 1, 7)
            has_ces = rng.random(n) < 0.3
            comment, has_comment = self._comments(csat, 0.15, tp=tp)
            trans = pa.table({
                "survey_id": pa.nulls(n, pa.string()),
                "customer_id": self.cust_ids.take(pa.array(cust)),
                "ts": _ts_text(ts, self.spec.timezone),
                "touchpoint_id": self.tp_text.take(pa.array(tp)),
                "csat": _int_text(csat),
                "nps": _int_text(nps, mask=~has_nps),
                "ces": _int_text(ces, mask=~has_ces),
                "comment": _text(comment, mask=~has_comment),
                "source": pa.array(["survey"] * n, type=pa.string()),
                "segment": self.seg_text.take(pa.array(seg)),
                "variant": pa.array([None, "A", "B"], type=pa.string()).take(pa.array(var)),
            })
            parts.append(trans)
            parts_ts.append(ts)
        table = pa.concat_tables(parts)
        order = np.argsort(np.concatenate(parts_ts), kind="stable")
        table = table.take(pa.array(order))
        return table.add_column(0, "response_id", self._ids("feedback", table.num_rows, "R"))

    def _relationship_survey(self) -> tuple[np.ndarray, pa.Table]:
        spec, rng = self.spec, self.rng
        rated_pool = [t for t in spec.touchpoints if t.catalogued and t.id not in self.truth.blind_spots]
        pool_idx = np.array([self.tp_index[t.id] for t in rated_pool])
        w = np.array([t.survey_weight for t in rated_pool])
        dw = np.array([spec.driver_weights.get(t.id, 0.0) for t in rated_pool])
        per_q = int(np.clip(self.n_customers * spec.survey_share, 60, 4000))
        out, out_ts = [], []
        for q in pd.period_range(spec.start, spec.end, freq="Q"):
            qs = self._utc(q.start_time)
            qe = min(self._utc(q.end_time.floor("s")), self.t1)
            # fieldwork in the last month of the quarter
            fs = max(qs, qe - 30 * 86400)
            resp = rng.choice(self.n_customers, size=min(per_q, self.n_customers), replace=False)
            resp.sort()
            m = resp.size
            ts = fs + rng.integers(0, qe - fs, size=m)
            seg = self.cust_seg[resp].astype(np.int64)
            k = rng.integers(4, 11, size=m)
            keys = -np.log(rng.random((m, len(rated_pool)))) / w[None, :]  # weighted sampling without replacement
            rank = np.argsort(np.argsort(keys, axis=1), axis=1)
            rated = rank < k[:, None]
            halo = HALO_SD * rng.standard_normal(m)
            lat = np.empty((m, len(rated_pool)))
            for col, tpi in enumerate(pool_idx):
                lat[:, col] = self._latent_csat(np.full(m, tpi), seg, ts) + halo + \
                    LATENT_SD * rng.standard_normal(m)
            mu = np.array([t.csat for t in rated_pool])[None, :]
            overall = spec.overall_base + np.array([s.csat_shift for s in spec.segments])[seg] + halo + \
                ((lat - mu) * dw[None, :] * rated).sum(axis=1) + 0.35 * rng.standard_normal(m)
            o_csat = self._discrete(overall)
            o_nps = self._discrete(2.5 * (overall - 1.0) + 0.6 * rng.standard_normal(m), 0, 10)
            sid = [f"S{q.year}Q{q.quarter}-{i:05d}" for i in range(1, m + 1)]
            r_rows, r_cols = np.nonzero(rated)
            n_rows = m + r_rows.size
            survey = np.concatenate([np.arange(m), r_rows])
            tp = np.concatenate([np.full(m, -1), pool_idx[r_cols]])
            csat = np.concatenate([o_csat, self._discrete(lat[r_rows, r_cols])])
            nps = np.concatenate([o_nps, np.zeros(r_rows.size, dtype=np.int64)])
            order = np.lexsort((tp, survey))
            survey, tp, csat, nps = survey[order], tp[order], csat[order], nps[order]
            overall_row = tp < 0
            comment = np.full(n_rows, None, dtype=object)
            has_comment = np.zeros(n_rows, dtype=bool)
            # a comment on some overall answers
            comment[overall_row], has_comment[overall_row] = self._comments(csat[overall_row], 0.2)
            out_ts.append(ts[survey])
            out.append(pa.table({
                "survey_id": pa.array(sid, type=pa.string()).take(pa.array(survey)),
                "customer_id": self.cust_ids.take(pa.array(resp[survey])),
                "ts": _ts_text(ts[survey], self.spec.timezone),
                "touchpoint_id": self.tp_text.take(pa.array(np.maximum(tp, 0), mask=overall_row)),
                "csat": _int_text(csat),
                "nps": _int_text(nps, mask=~overall_row),
                "ces": pa.nulls(n_rows, pa.string()),
                "comment": _text(comment, mask=~has_comment),
                "source": pa.array(["survey"] * n_rows, type=pa.string()),
                "segment": self.seg_text.take(pa.array(seg[survey])),
                "variant": pa.nulls(n_rows, pa.string()),
            }))
        return np.concatenate(out_ts), pa.concat_tables(out)

    def _interviews(self) -> tuple[np.ndarray, pa.Table]:
        spec, rng = self.spec, self.rng
        observed = [t for t in spec.touchpoints if t.catalogued and t.id not in self.truth.blind_spots]
        focus = sorted(observed, key=lambda t: -spec.driver_weights.get(t.id, 0))[:4]
        n = 12
        tp = np.array([self.tp_index[focus[i % len(focus)].id] for i in range(n)])
        ts = self.t1 - 60 * 86400 + np.sort(rng.integers(0, 55 * 86400, size=n))
        seg = rng.integers(0, len(spec.segments), size=n)
        csat = self._discrete(self._latent_csat(tp, seg, ts) + LATENT_SD * rng.standard_normal(n))
        comment, _ = self._comments(csat, 1.0, long=True, tp=tp)
        return ts, pa.table({
            "survey_id": pa.nulls(n, pa.string()),
            "customer_id": pa.nulls(n, pa.string()),
            "ts": _ts_text(ts, self.spec.timezone),
            "touchpoint_id": self.tp_text.take(pa.array(tp)),
            "csat": _int_text(csat),
            "nps": pa.nulls(n, pa.string()),
            "ces": pa.nulls(n, pa.string()),
            "comment": _text(comment),
            "source": pa.array(["interview"] * n, type=pa.string()),
            "segment": self.seg_text.take(pa.array(seg)),
            "variant": pa.nulls(n, pa.string()),
        })

    # -- texts
    def _comments(self, score: np.ndarray, share: float, long: bool = False, tp: np.ndarray | None = None):
        """Free-text comments whose tone follows the score (and whose topic follows the touchpoint)."""
        rng = self.rng
        lang_local = TEXTS[self.spec.texts]
        n = score.size
        has = rng.random(n) < share
        out = np.full(n, None, dtype=object)
        idx = np.flatnonzero(has)
        if idx.size == 0:
            return out, has
        local = rng.random(idx.size) < 0.65
        tone = np.where(score[idx] >= 4, "pos", np.where(score[idx] <= 2, "neg", "mid"))
        pick = rng.integers(0, 1 << 30, size=(idx.size, 3))
        pii = rng.random(idx.size) < 0.04
        for k, i in enumerate(idx):
            lang = self.spec.texts if local[k] else "en"
            bank = lang_local if local[k] else TEXTS["en"]
            phrases = _phrases(lang, self.tp_ids[tp[i]] if tp is not None and tp[i] >= 0 else None, tone[k])
            text = phrases[pick[k, 0] % len(phrases)]
            if long:
                more = bank[tone[k]]
                text = text + " " + more[pick[k, 1] % len(more)]
            if pii[k]:
                contact = bank["pii"]
                text = text + " " + contact[pick[k, 2] % len(contact)]
            out[i] = text
        return out, has

    # -- reviews
    def write_reviews(self) -> int:
        spec, rng = self.spec, self.rng
        n = int(np.clip(self.events_target * spec.reviews_per_event, 150, 4000))
        ts = self.t0 + np.sort(rng.integers(0, self.t1 - self.t0, size=n))
        src = rng.integers(0, len(spec.review_sources), size=n)
        # touchpoints reviews talk about (not the awareness channels, such as the review site itself)
        tps = [t for t in spec.touchpoints if t.catalogued and "reviews" in t.sources and t.stage != "awareness"]
        has_tp = rng.random(n) < 0.6
        tpi = rng.integers(0, len(tps), size=n)
        mu = np.where(has_tp, np.array([t.csat for t in tps])[tpi], 3.8)
        # reviewers are more extreme than survey respondents
        rating = self._discrete(mu + 1.5 * rng.standard_normal(n))
        local = rng.random(n) < 0.6
        lang = np.where(local, spec.texts, "en")
        bank_l, bank_e = TEXTS[spec.texts], TEXTS["en"]
        pick = rng.integers(0, 1 << 30, size=(n, 4))
        pii = rng.random(n) < 0.03
        reply = rng.random(n) < 0.3
        texts, titles, replies = [], [], []
        for i in range(n):
            bank = bank_l if local[i] else bank_e
            tone = "pos" if rating[i] >= 4 else ("neg" if rating[i] <= 2 else "mid")
            ph = _phrases(spec.texts if local[i] else "en", tps[tpi[i]].id if has_tp[i] else None, tone)
            t = ph[pick[i, 0] % len(ph)]
            if pick[i, 1] % 2:
                gen = bank[tone]
                t = t + " " + gen[pick[i, 1] % len(gen)]
            if pii[i]:
                t = t + " " + bank["pii"][pick[i, 2] % len(bank["pii"])]
            texts.append(t)
            titles.append(bank["title_" + tone][pick[i, 3] % len(bank["title_" + tone])])
            replies.append(bank["reply"][pick[i, 2] % len(bank["reply"])].format(name=spec.name) if reply[i] else None)
        sources = np.array(spec.review_sources, dtype=object)[src]
        tp_col = np.where(has_tp, np.array([t.id for t in tps], dtype=object)[tpi], None)
        counters: dict[str, int] = {}
        ids = []
        for s in sources:
            counters[s] = counters.get(s, 0) + 1
            ids.append(f"{s[:2].upper()}-{counters[s]:06d}")
        table = pa.table({
            "review_id": _text(ids),
            "source": _text(list(sources)),
            "ts": _ts_text(ts, self.spec.timezone),
            "rating": _int_text(rating),
            "title": _text(titles),
            "text": _text(texts),
            "touchpoint_id": _text(list(tp_col)),
            "reply": _text(replies),
            "language": _text(list(lang)),
        })
        table = _plant_bad(table, "reviews", rng, "review_id")
        out = _Csv(self.raw / "reviews.csv", COLUMNS["reviews"], quote=True)
        out.write(table)
        out.close()
        return out.rows

    # -- costs
    def write_costs(self) -> int:
        spec, rng = self.spec, self.rng
        rows = []
        for t in spec.touchpoints:
            if t.cost is None or not t.catalogued:
                continue
            for i, q in enumerate(self.truth.periods):
                growth = 1 + 0.04 * i
                season = 1.25 if q.endswith("Q4") and spec.seasonal == "retail" else 1.0
                rows.append((t.id, q, round(float(t.cost * growth * season * rng.uniform(0.9, 1.1)), -2)))
        table = pa.table({"touchpoint_id": _text([r[0] for r in rows]), "period": _text([r[1] for r in rows]),
                          "cost": _num_text(np.array([r[2] for r in rows]), 0)})
        out = _Csv(self.raw / "costs.csv", COLUMNS["costs"], quote=False)
        out.write(table)
        out.close()
        return out.rows

    # -- client.yml
    def write_config(self) -> None:
        (self.folder / "client.yml").write_text(client_yaml(self.spec), encoding="utf-8")


def client_config(spec: ClientSpec) -> dict:
    """The client.yml content of a demo client as a plain mapping."""
    tps = []
    for t in spec.touchpoints:
        if not t.catalogued:
            continue
        entry = {"id": t.id, "name": t.name, "kind": t.kind, "stage": t.stage, "owner": t.owner,
                 "sources": list(t.sources)}
        if t.effort is not None:
            entry["effort"] = t.effort
        tps.append(entry)
    changes = []
    for ch in spec.changes:
        entry = {k: ch[k] for k in ("id", "touchpoint", "description") if k in ch}
        entry["start"] = ch["start"]
        entry["kpis"] = list(ch["kpis"])
        entry["expected_direction"] = ch["expected_direction"]
        if "control" in ch:
            entry["control"] = ch["control"]
        if "ab_column" in ch:
            entry["ab_column"] = ch["ab_column"]
        changes.append(entry)
    return {
        "client_id": spec.client_id,
        "name": spec.name,
        "timezone": spec.timezone,
        "currency": spec.currency,
        "language": spec.language,
        "engine": "duckdb",
        "first_period": spec.first_period,
        "branding": {"colour": spec.colour, "logo": None},
        "survey_overall": "nps",
        "segments": [s.name for s in spec.segments],
        "touchpoints": tps,
        "sources": [{"table": f, "file": f"raw/{f}.csv", "adapter": "canonical"} for f in RAW_FILES],
        "changes": changes,
        "priority_weights": dict(spec.priority_weights),
    }


def client_yaml(spec: ClientSpec) -> str:
    head = ("# Demo client generated by `tpkit demo` (helpers.demo); regenerated on every run.\n"
            "# Planted ground truth: docs/demo-data.md\n")
    return head + yaml.safe_dump(client_config(spec), sort_keys=False, allow_unicode=True, width=110)


# ------------------------------------------------------------------ texts

TEXTS: dict[str, dict[str, list[str]]] = {
    "da": {
        "pos": ["Hurtig levering og venligt personale.", "Super god service, tak!", "Meget tilfreds med købet.",
                "Alt gik som det skulle."],
        "mid": ["Det var okay, intet særligt.", "Levering tog lidt lang tid, men varen var fin.",
                "Helt fint, men lidt dyrt.", "Gennemsnitlig oplevelse."],
        "neg": ["Dårlig service.", "Alt for lang ventetid.", "Dårlig oplevelse, kommer ikke igen."],
        "pii": ["Ring til mig på +45 12 34 56 78.", "Skriv til mig på anna.jensen@example.dk",
                "Mit nummer er 23 45 67 89.", "Kontakt mig på lars.nielsen@example.dk"],
        "title_pos": ["Fantastisk", "Rigtig god oplevelse", "Anbefales"],
        "title_mid": ["Okay", "Middel"],
        "title_neg": ["Skuffet", "Dårlig service", "Aldrig igen"],
        "reply": ["Tak for din anmeldelse! Venlig hilsen {name}", "Vi beklager oplevelsen - skriv til os, så finder "
                  "vi en løsning. {name}"],
    },
    "no": {
        "pos": ["Rask respons fra support.", "God opplæring og hyggelige folk.", "Enkel å komme i gang.",
                "Veldig fornøyd med løsningen.", "Nyttig webinar."],
        "mid": ["Helt greit, men litt dyrt.", "Grei løsning, noen mangler.", "Middels opplevelse."],
        "neg": ["Lang ventetid på support.", "Vanskelig å finne fram i portalen.",
                "Dårlig oppfølging etter salget.",
                "Treg og ustabil løsning."],
        "pii": ["Ring meg på +47 912 34 567.", "Send e-post til kari.nordmann@example.no",
                "Nummeret mitt er 41 23 45 67."],
        "title_pos": ["Anbefales", "Veldig bra"],
        "title_mid": ["Greit", "Middels"],
        "title_neg": ["Skuffet", "Dårlig support"],
        "reply": ["Takk for tilbakemeldingen! Hilsen {name}", "Beklager - kontakt oss så løser vi det. {name}"],
    },
    "en": {
        "pos": ["Fast delivery and friendly staff.", "Great service, thank you!", "Very happy with my purchase.",
                "Helpful and friendly people."],
        "mid": ["It was okay, nothing special.", "Delivery took a while but the product is fine.",
                "Fine, a bit expensive."],
        "neg": ["Poor service.", "Waited too long for an answer.", "Bad experience, will not come back."],
        "pii": ["Call me back on +45 23 45 67 89.", "mail me at anna.jensen@example.dk",
                "You can reach me at peter.smith@example.com"],
        "title_pos": ["Excellent", "Great experience", "Recommended"],
        "title_mid": ["Okay", "Average"],
        "title_neg": ["Disappointed", "Poor service", "Never again"],
        "reply": ["Thank you for your review! {name}", "We are sorry to hear this - please contact us. {name}"],
    },
}


#: phrases about one touchpoint (language -> touchpoint -> tone); other touchpoints use TEXTS
TP_TEXTS: dict[str, dict[str, dict[str, list[str]]]] = {
    "da": {
        "packaging": {"pos": ["Varerne kom pænt pakket ind.", "Hurtig levering, flot emballage."],
                      "neg": ["Varen kom i stykker.", "Pakken var våd og beskadiget."]},
        "service_centre": {"pos": ["Hurtigt svar fra kundeservice.", "Kundeservice løste det med det samme."],
                           "neg": ["Lang ventetid i telefonen.", "Dårlig service og ingen svar på min mail."]},
        "web_checkout": {"pos": ["Nem og hurtig betaling.", "Betalingen gik glat."],
                         "neg": ["Besværlig betaling på hjemmesiden.", "Betalingen fejlede flere gange."]},
        "store": {"pos": ["Venlig og hjælpsom ekspedient.", "Flot butik og venligt personale."],
                  "neg": ["Uvenligt personale i butikken.", "Ingen hjælp at få i butikken."]},
        "store_checkout": {"pos": ["Hurtigt gennem kassen."], "neg": ["Lang kø ved kassen."]},
        "website": {"pos": ["Nem at finde rundt på siden."], "neg": ["Svært at finde noget på hjemmesiden."]},
        "app": {"pos": ["Appen er nem at bruge."], "neg": ["Appen crasher hele tiden."]},
        "chat": {"pos": ["Chatten svarede hurtigt."], "neg": ["Chatten gav ingen brugbare svar."]},
        "faq": {"pos": ["Fandt svaret i FAQ'en."], "neg": ["FAQ'en svarede ikke på mit spørgsmål."]},
    },
    "no": {
        "support_portal": {"pos": ["Rask respons fra support.", "Fant svaret i portalen."],
                           "neg": ["Lang ventetid på support.", "Vanskelig å finne fram i portalen."]},
        "onboarding": {"pos": ["God opplæring og hyggelige folk."],
                       "neg": ["Rotete oppstart, mangelfull opplæring."]},
        "sales_call": {"pos": ["Kunnskapsrik selger."], "neg": ["Pågående selger."]},
        "free_trial": {"pos": ["Enkel å komme i gang."], "neg": ["Prøveperioden var for kort."]},
    },
    "en": {
        "packaging": {"pos": ["Lovely packaging.", "Fast delivery, well packed."],
                      "neg": ["Item arrived damaged.", "The parcel was wet and damaged."]},
        "service_centre": {"pos": ["Customer service sorted it out at once.", "Quick answer from customer service."],
                           "neg": ["Waited too long on the phone.", "Poor service, nobody answered my email."]},
        "web_checkout": {"pos": ["Quick and easy payment."], "neg": ["The checkout kept failing."]},
        "store": {"pos": ["Friendly staff in the store."], "neg": ["Rude staff in the store."]},
        "store_checkout": {"pos": ["Quick at the till."], "neg": ["Long queue at the till."]},
        "website": {"pos": ["Easy to find what I needed."], "neg": ["Hard to find anything on the website."]},
        "app": {"pos": ["The app is easy to use."], "neg": ["The app keeps crashing."]},
        "chat": {"pos": ["The chat answered quickly."], "neg": ["The chat gave no useful answers."]},
        "faq": {"pos": ["Found the answer in the FAQ."], "neg": ["The FAQ did not answer my question."]},
        "support_portal": {"pos": ["Quick response from support."], "neg": ["Waited too long for support."]},
        "onboarding": {"pos": ["Great onboarding."], "neg": ["Messy onboarding."]},
    },
}


def _phrases(lang: str, tp: str | None, tone: str) -> list[str]:
    specific = TP_TEXTS.get(lang, {}).get(tp or "", {}).get(tone)
    return specific or TEXTS[lang][tone]


# ------------------------------------------------------------------ entry point


def write_client(client: str, root: Path, events: int | None = None, seed: int = DEFAULT_SEED) -> dict:
    """Write one demo client; returns the number of rows written per raw file (bad rows included)."""
    spec = SPECS[client]
    rng = np.random.default_rng([seed, DEMO_CLIENTS.index(client) if client in DEMO_CLIENTS else 99])
    folder = Path(root) / "data" / client
    gen = _Generator(spec, folder, client_events(spec, events), rng)
    return gen.run()


def write_demo(root: Path, events: int | None = None, seed: int = DEFAULT_SEED,
               clients: tuple[str, ...] = DEMO_CLIENTS) -> list[str]:
    """Write client.yml and raw exports of the demo clients under ``root/data/``; returns the client names.

    ``events`` sets nordlys's number of events (default about 1,000,000; customers scale with it,
    about 20 events per customer); fjordtech is about 6.5% of that, between 15,000 and 70,000 events.
    The same ``seed`` and ``events`` give byte-identical files.
    """
    out = []
    for client in clients:
        if client not in SPECS:
            from helpers.errors import KitError

            raise KitError(f"'{client}' is not a demo client", hint=f"use one of {', '.join(SPECS)}")
        write_client(client, Path(root), events=events, seed=seed)
        out.append(client)
    return out
