"""Every word the review shows: sentences, table headers, figure texts (through :mod:`helpers.i18n`)."""

from __future__ import annotations

import pandas as pd

from helpers import kpis
from helpers.display import HTML, bullets, esc, show_table
from helpers.evaluate.narrative import verdict_name
from helpers.i18n import N_, _, ngettext, pgettext
from helpers.periods import Period

STATUS = {"stayed": N_("still in the top five"), "left": N_("left the top five"),
          "entered": N_("new in the top five")}
MEASURES = {"purchases": N_("Purchases"), "revenue": N_("Revenue")}


def status_name(status: str) -> str:
    return _(STATUS[status]) if status in STATUS else str(status)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rank(v) -> str:
    return "" if pd.isna(v) else kpis.fmt_count(int(v))


def _move(kpi: str, change, lo, hi) -> str:
    text = kpis.fmt_change(kpi, change)
    interval = kpis.fmt_interval(kpi, lo, hi)
    if not text:
        return ""
    # Translators: a change and its 95% interval, e.g. "+2.1 pp (+0.4 to +3.8)"
    return _("{effect} ({interval})").format(effect=text, interval=interval) if interval else text


def _changes_cell(changes: pd.DataFrame, tp: str) -> str:
    rows = changes[changes["touchpoint_id"] == tp] if len(changes) else changes
    if not len(rows):
        return _("no change logged")
    # Translators: one logged change and its verdict, e.g. "CH-checkout, conversion: moved as expected"
    return "; ".join(_("{change}, {kpi}: {verdict}").format(change=r.change_id, kpi=kpis.short(r.kpi),
                                                           verdict=verdict_name(r.verdict) if r.verdict else "")
                     for r in rows.itertuples())


def since_display(since: pd.DataFrame, changes: pd.DataFrame, detail: bool = True) -> pd.DataFrame:
    """The since-last-period table as the report shows it (from the artifact's columns)."""
    out = pd.DataFrame({
        _("Touchpoint"): since["name"].to_numpy(),
        _("Rank then"): [_rank(v) for v in since["rank_before"]],
        _("Rank now"): [_rank(v) for v in since["rank_now"]],
        _("Top five"): [status_name(s) for s in since["status"]],
        _("Changes and verdicts"): [_changes_cell(changes, tp) for tp in since["touchpoint_id"]],
    })
    if detail:
        for k in ("conversion", "csat", "nps"):
            # Translators: column header, e.g. "Conversion change (95% CI)"
            out[_("{kpi} change (95% CI)").format(kpi=_capital(kpis.short(k)))] = [
                _move(k, c, lo, hi) for c, lo, hi in zip(since[f"{k}_change"], since[f"{k}_ci_low"],
                                                         since[f"{k}_ci_high"])]
    out[_("Why (ranking now)")] = [r if r else b for r, b in zip(since["reason_now"], since["reason_before"])]
    return out


def say_previous(previous: str, top: list[str], recomputed, has_previous: bool) -> HTML:
    if not has_previous:
        text = _("There is no data for {previous}, so there is nothing to look back on yet.").format(
            previous=previous)
        return HTML(f'<p class="tp-na">{esc(text)}</p>')
    parts = []
    if top:
        parts.append(ngettext("The top priority of {previous} was {names}.",
                              "The top priorities of {previous} were, in order: {names}.", len(top)).format(
            previous=previous, names=", ".join(top)))
    else:
        parts.append(_("No touchpoint could be ranked in {previous}.").format(previous=previous))
    if recomputed:
        parts.append(_("The saved results of the {previous} report were not found, so they were recomputed from "
                       "the data as it is now.").format(previous=previous))
    return HTML("".join(f'<p class="tp-say">{esc(p)}</p>' for p in parts))


def show_since(result) -> HTML:
    """Step 4's detailed "since last period" section."""
    top = list(result.previous_top["name"])
    head = say_previous(result.previous, top, result.recomputed, result.has_previous)
    if not result.has_previous or not len(result.since):
        return head
    table = show_table(since_display(result.since, result.since_changes),
                       caption=_("Last period's priorities and this period's: changes, verdicts and KPI moves"))
    return HTML(head._repr_html_() + table._repr_html_() + _too_early(result.too_early)._repr_html_())


def _too_early(too_early: pd.DataFrame) -> HTML:
    if not len(too_early):
        return HTML("")
    done = int(too_early["resolved"].sum())
    text = ngettext("Last period, {n} verdict was too early to give; {done} of them has an answer now.",
                    "Last period, {n} verdicts were too early to give; {done} of them have an answer now.",
                    len(too_early)).format(n=kpis.fmt_count(len(too_early)), done=kpis.fmt_count(done))
    shown = pd.DataFrame({_("Change"): too_early["change_id"].to_numpy(),
                          _("KPI"): [kpis.short(k) for k in too_early["kpi"]],
                          _("Verdict now"): [verdict_name(v) if isinstance(v, str) else _("not evaluated")
                                             for v in too_early["verdict_now"]],
                          _("Resolved"): [_("yes") if r else _("no") for r in too_early["resolved"]]})
    return HTML(f'<p class="tp-say">{esc(text)}</p>' + show_table(shown)._repr_html_())


def _amount(measure: str, v, currency) -> str:
    return kpis.fmt_money(v, currency) if measure == "revenue" else kpis.fmt_number(v, 0)


def backtest_display(totals: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    return pd.DataFrame({
        _("Measure"): [_(MEASURES.get(m, m)) for m in totals["measure"]],
        _("Customers"): [kpis.fmt_count(n) for n in totals["customers"]],
        _("Predicted"): [_amount(m, v, currency) for m, v in zip(totals["measure"], totals["predicted"])],
        _("Actual"): [_amount(m, v, currency) for m, v in zip(totals["measure"], totals["actual"])],
        # Translators: predicted divided by actual, with its 95% interval
        _("Predicted / actual (95% CI)"): [
            _("{value} ({low} to {high})").format(value=kpis.fmt_number(r, 2), low=kpis.fmt_number(lo, 2),
                                                  high=kpis.fmt_number(hi, 2)) if pd.notna(r) else ""
            for r, lo, hi in zip(totals["ratio"], totals["ci_low"], totals["ci_high"])],
        _("Mean absolute error per customer"): [
            _amount(m, v, currency) if m == "revenue" else kpis.fmt_number(v, 2)
            for m, v in zip(totals["measure"], totals["mae"])],
    })


def say_backtest(bt, previous: str, period: str, currency: str | None) -> HTML:
    if not bt.available:
        text = _("The forecast of {previous} cannot be checked: {reason}.").format(previous=previous,
                                                                                   reason=bt.note or "-")
        return HTML(f'<p class="tp-na">{esc(text)}</p>')
    t = bt.totals.set_index("measure")
    p = t.loc["purchases"]
    verdict = (_("within the range chance alone explains") if p["ci_low"] <= 1 <= p["ci_high"] else
               (_("too high") if p["ci_low"] > 1 else _("too low")))
    lines = [
        _("The customer value model fitted on the orders up to the end of {previous} predicted {pred} purchases in "
          "{period} by the {n} customers known then; they made {actual}. The forecast was {verdict} "
          "(predicted / actual {ratio}, 95% interval {low} to {high}).").format(
            previous=previous, period=period, pred=kpis.fmt_number(p["predicted"], 0), n=kpis.fmt_count(p["customers"]),
            actual=kpis.fmt_count(p["actual"]), verdict=verdict, ratio=kpis.fmt_number(p["ratio"], 2),
            low=kpis.fmt_number(p["ci_low"], 2), high=kpis.fmt_number(p["ci_high"], 2)),
    ]
    if bt.new_customers:
        lines.append(ngettext("{n} new customer bought for the first time in {period}; a first purchase cannot be "
                              "forecast from a customer's history, so it is not part of the comparison.",
                              "{n} new customers bought for the first time in {period}; a first purchase cannot be "
                              "forecast from a customer's history, so they are not part of the comparison.",
                              bt.new_customers).format(n=kpis.fmt_count(bt.new_customers), period=period))
    return HTML("".join(f'<p class="tp-say">{esc(x)}</p>' for x in lines))


def show_backtest(result) -> HTML:
    bt = result.backtest
    head = say_backtest(bt, result.previous, result.period, result.currency)
    if not bt.available:
        return head
    table = show_table(backtest_display(bt.totals, result.currency),
                       caption=_("Last period's forecast against what happened"))
    notes = bullets(result.notes) if result.notes else HTML("")
    return HTML(head._repr_html_() + table._repr_html_() + notes._repr_html_())


def trends_display(trends: pd.DataFrame) -> pd.DataFrame:
    """KPI and stage by period: value and 95% interval in each cell."""
    if not len(trends):
        return pd.DataFrame()
    cells = trends.assign(cell=[
        "{v} ({i})".format(v=kpis.fmt_level(k, v), i=kpis.fmt_interval(k, lo, hi, change=False))
        for k, v, lo, hi in zip(trends["kpi"], trends["value"], trends["ci_low"], trends["ci_high"])])
    periods = sorted(trends["period"].unique(), key=lambda s: Period.parse(s).start)
    wide = cells.pivot_table(index=["kpi", "stage"], columns="period", values="cell", aggfunc="first", sort=False)
    wide = wide.reindex(columns=periods).reset_index()
    wide.insert(0, _("KPI"), [_capital(kpis.short(k)) for k in wide.pop("kpi")])
    wide.insert(1, _("Stage"), [stage_name(s) for s in wide.pop("stage")])
    wide.columns.name = None
    return wide.fillna("")


def stage_name(stage: str) -> str:
    words = {"awareness": pgettext("stage", "awareness"), "consideration": pgettext("stage", "consideration"),
             "decision": pgettext("stage", "decision"), "retention": pgettext("stage", "retention")}
    return words.get(stage, stage)


def show_trends(result) -> HTML:
    table = trends_display(result.trends)
    if table.empty:
        return HTML(f'<p class="tp-na">{esc(_("No period has data for the trends."))}</p>')
    return show_table(table, caption=_("NPS, CSAT and conversion per journey stage, every period (95% CI)"))


def orders_end_early(last) -> str:
    return _("The orders end on {day}, before the end of the period: the actual purchases are incomplete.").format(
        day=pd.Timestamp(last).date().isoformat())


def forecast_sample(sampled: int, total: int) -> str:
    # Translators: {sampled} and {total} are counts of customers
    return _("The forecast was checked on a random sample of {sampled} of the {total} customers with orders; new "
             "customers are counted in the same sample.").format(
        sampled=kpis.fmt_count(sampled), total=kpis.fmt_count(total))


def findings_lines(result) -> list[str]:
    out = []
    if result.has_previous and len(result.since):
        left = result.since[result.since["status"] == "left"]
        entered = result.since[result.since["status"] == "entered"]
        out.append(_("Since {previous}: {left} of its top priorities left the top five, {entered} entered.").format(
            previous=result.previous, left=kpis.fmt_count(len(left)), entered=kpis.fmt_count(len(entered))))
    bt = result.backtest
    if bt.available:
        p = bt.totals.set_index("measure").loc["purchases"]
        out.append(_("Last period's purchase forecast: predicted / actual {ratio} (95% interval {low} to "
                     "{high}).").format(ratio=kpis.fmt_number(p["ratio"], 2), low=kpis.fmt_number(p["ci_low"], 2),
                                        high=kpis.fmt_number(p["ci_high"], 2)))
    return out


# --------------------------------------------------------------------------- figures' words

def trend_title(kpi: str) -> str:
    return kpis.label(kpi)


def calibration_title(measure: str) -> str:
    # Translators: figure panel title, e.g. "Purchases per customer by decile of predicted value"
    return _("{measure} per customer by decile of predicted value").format(measure=_(MEASURES[measure]))


def calibration_axes() -> tuple[str, str, str, str]:
    return _("Decile of predicted value (1 = lowest)"), _("Predicted"), _("Actual"), _("Mean per customer")


def change_marker(change_id: str, description: str) -> str:
    # Translators: a logged change on a trend chart, e.g. "CH-checkout: One-page web checkout"
    return _("{change}: {description}").format(change=change_id, description=description)


# --------------------------------------------------------------------------- executive summary

def summary_section(collected: dict) -> HTML:
    """The executive summary's short "since last period" part, read from step 4's saved artifacts."""
    step = collected.get("evaluate")
    since = step.table("since_last_period") if step is not None else None
    if since is None:
        text = _("{what}: not available.").format(what=_("Since last period"))
        return HTML(f'<p class="tp-na">{esc(text)}</p>')
    info = step.metrics.get("review", {})
    changes = step.table("since_changes")
    changes = changes if changes is not None else pd.DataFrame(columns=["touchpoint_id"])
    prev = since[since["status"] != "entered"].sort_values("rank_before", kind="stable")
    head = say_previous(info.get("previous_period", ""), list(prev["name"]), info.get("recomputed", []),
                        bool(info.get("has_previous", True)))
    if not len(since):
        return head
    table = show_table(since_display(since, changes, detail=False),
                       caption=_("Last period's priorities: what happened since"))
    html = head._repr_html_() + table._repr_html_()
    bt = step.table("forecast_backtest")
    if bt is not None and len(bt):
        p = bt.set_index("measure").loc["purchases"]
        text = _("Last period's purchase forecast against what happened: predicted / actual {ratio} (95% interval "
                 "{low} to {high}); details in step 4.").format(ratio=kpis.fmt_number(p["ratio"], 2),
                                                                low=kpis.fmt_number(p["ci_low"], 2),
                                                                high=kpis.fmt_number(p["ci_high"], 2))
        html += f'<p class="tp-say">{esc(text)}</p>'
    return HTML(html)
