"""Shop order exports -> canonical orders: Shopify and WooCommerce.

``tool: shopify``
    Shopify admin, *Orders > Export* (CSV "for Excel, Numbers, or other spreadsheet programs" or "plain
    CSV"). The export has one row per line item: the order-level values (``Financial Status``,
    ``Subtotal``, ``Shipping``, ``Taxes``, ``Total``, ``Discount Amount``, ``Refunded Amount``,
    ``Cancelled at``, billing address ...) sit on the order's first row; the further rows of the order repeat
    its ``Name`` (``#1001``) and carry only line-item values. The preset folds the rows of an order into one
    order (the file row of the order is its first row).

    ===============  =========================================================================
    canonical        Shopify
    ===============  =========================================================================
    order_id         ``Name`` (the order number the shop shows, ``#1001``)
    customer_id      ``Email`` (lower case; keyed hash). An order without an e-mail keeps its
                     revenue under a pseudonym derived from the order (``order #1001``): it counts
                     as a customer of its own
    ts               ``Created at`` (``2024-03-01 14:05:09 +0100``: the offset is used)
    revenue          ``revenue: net`` (default): ``Total`` minus ``Refunded Amount``; ``total``:
                     ``Total`` as charged (after discounts, with shipping and taxes);
                     ``subtotal``: ``Subtotal`` (line items after discounts)
    ===============  =========================================================================

    Excluded (counted, in the rejects file with the reason "excluded: ..."): cancelled orders
    (``Cancelled at`` set) and voided payments (``Financial Status`` voided). Discounts are already taken
    off ``Total``; the notes give the discount and refund sums.

``tool: woocommerce``
    WooCommerce *Analytics > Orders > Download* (``Date``, ``Order #``, ``Status``, ``Customer``,
    ``Customer type``, ``Product(s)``, ``Items sold``, ``Coupon(s)``, ``Net Sales``), the *Customer/Order/Coupon
    Export* extension's order CSV (``order_id``, ``order_number``, ``order_date`` or ``date``, ``status``,
    ``order_total``, ``refunded_total``, ``customer_id``, ``billing_email``, ...; also with one row per line
    item, the order values repeated) and the REST API's orders JSON (``id``, ``number``, ``status``,
    ``date_created_gmt``, ``total``, ``customer_id``, ``billing.email``, ``refunds``).
    Revenue is the order total minus refunds (the Analytics report's ``Net Sales`` as it is); orders with
    status cancelled, failed, pending payment, draft or trash are excluded.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from helpers.errors import ConfigError, SchemaError
from helpers.ingest.adapters.base import Detection, Sample, ToolPreset, _list, _norm, choice
from helpers.ingest.adapters.crm import CrmAdapter
from helpers.ingest.convert import as_text
from helpers.ingest.readers import RawChunk

# ---------------------------------------------------------------- pure helpers


def _blank(series: pd.Series) -> pd.Series:
    text = as_text(series)
    return text.isna() | text.str.strip().eq("")


def fold_line_items(frame: pd.DataFrame, rows: np.ndarray, key: str, order_level: list[str]
                    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.Series]:
    """Rows of one order (consecutive rows with the same ``key``) -> one row per order.

    The order-level columns are taken from the first row of the order that has a value; a later row of the
    same order with a *different* value makes the order ambiguous (its reason is returned, the order is not
    guessed). Returns ``(orders, first_file_row, rows_per_order, reason)``.
    """
    ids = as_text(frame[key]).str.strip()
    new = ids.ne(ids.shift()) | ids.isna()
    group = new.cumsum().to_numpy() - 1
    first = np.flatnonzero(new.to_numpy())
    out = frame.iloc[first].copy().reset_index(drop=True)
    counts = np.bincount(group, minlength=len(first))
    reason = pd.Series(None, index=out.index, dtype=object)
    for col in order_level:
        if col not in frame:
            continue
        text = as_text(frame[col]).str.strip()
        text = text.where(text.ne(""))
        by = pd.DataFrame({"g": group, "v": text})
        firsts = by.dropna().drop_duplicates("g").set_index("g")["v"]
        out[col] = firsts.reindex(range(len(first))).to_numpy()
        distinct = by.dropna().drop_duplicates().groupby("g").size()
        clash = distinct[distinct > 1].index
        for g in clash:
            values = by.loc[(by["g"] == g) & by["v"].notna(), "v"].unique()[:3]
            msg = f"{col}: the order's rows disagree ({', '.join(repr(v) for v in values)})"
            reason.iat[g] = msg if pd.isna(reason.iat[g]) else f"{reason.iat[g]}; {msg}"
    return out, np.asarray(rows)[first], counts, reason


def _numbers(series: pd.Series) -> pd.Series:
    """Shop exports write plain numbers ("25.29", "-5.00"); currency marks and spaces are dropped."""
    text = as_text(series).str.replace(r"[^\d.,\-]", "", regex=True).str.replace(",", "", regex=False)
    return pd.to_numeric(text.where(text.ne("")), errors="coerce")


_SHOPIFY_TS = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\s*([+-]\d{2}):?(\d{2})\s*$")


def shopify_timestamp(series: pd.Series) -> pd.Series:
    """``2014-11-25 14:45:53 +1100`` (Shopify's form) -> ISO 8601 ``2014-11-25T14:45:53+11:00``."""
    text = as_text(series)
    iso = text.str.replace(_SHOPIFY_TS, r"\1T\2\3:\4", regex=True)
    return iso


def order_pseudonym(prefix: str, order_ids: pd.Series) -> pd.Series:
    """The customer of an order without a customer: one of its own, named after the order (hashed in core)."""
    return f"{prefix} order " + as_text(order_ids).fillna("")


class _OrderChunks:
    """A reader whose chunks end at an order boundary: the rows of one order are never split between chunks."""

    def __init__(self, reader, key_of) -> None:
        self._reader = reader
        self._key_of = key_of  # chunk frame -> the column holding the order key (known after bind)
        self.columns = reader.columns

    def __getattr__(self, name):  # description, delimiter, encoding ... of the wrapped reader
        return getattr(self._reader, name)

    def chunks(self):
        held = None
        for chunk in self._reader.chunks():
            frame, rows = chunk.frame, np.asarray(chunk.rows)
            if held is not None:
                frame = pd.concat([held[0], frame], ignore_index=True)
                rows = np.concatenate([held[1], rows])
            if frame.empty:
                continue
            ids = as_text(frame[self._key_of()]).str.strip().fillna("")
            last = ids.iat[-1]
            tail = len(frame)
            while tail > 0 and ids.iat[tail - 1] == last:
                tail -= 1
            held = (frame.iloc[tail:].reset_index(drop=True), rows[tail:])
            if tail:
                yield RawChunk(frame.iloc[:tail].reset_index(drop=True), rows[:tail])
        if held is not None and not held[0].empty:
            yield RawChunk(held[0], held[1])


class _LineItemOrders(ToolPreset, CrmAdapter):
    """Orders whose line items are rows of their own: the rows of each order folded into one order."""

    reshapes = True
    key_column: str = ""
    order_level: tuple[str, ...] = ()

    def open(self):
        return _OrderChunks(super().open(), lambda: self.key_column)

    def records(self, chunk: RawChunk):
        return self._orders(chunk.frame, np.asarray(chunk.rows))

    def _orders(self, frame: pd.DataFrame, rows: np.ndarray):  # pragma: no cover - interface
        raise NotImplementedError


# ---------------------------------------------------------------- Shopify

_REVENUE_MODES = ("net", "total", "subtotal")


class ShopifyOrders(_LineItemOrders):
    name = tool = "shopify"
    tables = ("orders",)
    summary = "Shopify orders export (Orders > Export, CSV; one row per line item)"
    options = CrmAdapter.options + ("revenue",)
    option_checks = {"revenue": choice(*_REVENUE_MODES)}
    produces = ("order_id", "customer_id", "ts", "revenue")
    key_column = "Name"
    order_level = ("Email", "Financial Status", "Subtotal", "Shipping", "Taxes", "Total", "Discount Amount",
                   "Refunded Amount", "Cancelled at", "Created at", "Currency")

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        if not sample.has("Name", "Created at", "Total"):
            return None
        strong = [c for c in ("Lineitem name", "Financial Status", "Lineitem quantity", "Paid at", "Fulfillment Status")
                  if sample.has(c)]
        money = [c for c in ("Subtotal", "Shipping", "Taxes") if sample.has(c)]
        if strong:
            return Detection("shopify", "orders", 0.95, [f"Shopify columns Name, Created at, Total, "
                                                         f"{', '.join(strong)}"], options={})
        if len(money) == 3:
            return Detection("shopify", "orders", 0.8, ["Shopify order columns Name, Subtotal, Shipping, Taxes, "
                                                        "Total, Created at"], options={})
        return None

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.revenue_mode = str(self.opts.get("revenue", "net"))
        if self.revenue_mode not in _REVENUE_MODES:
            raise ConfigError(f"source '{self.source.file}': `revenue` must be one of {', '.join(_REVENUE_MODES)}, "
                              f"not '{self.revenue_mode}'", file=self.cfg.path,
                              hint="revenue: net   # Total minus Refunded Amount")
        self.counts = {"line_rows": 0, "no_customer": 0, "cancelled": 0, "voided": 0, "refunded": 0.0,
                       "discount": 0.0, "refunded_orders": 0}

    def required(self) -> list[str]:
        return []

    def bind(self, columns: list[str]) -> None:
        by_norm = {_norm(c): c for c in columns}
        self.cols: dict[str, str] = {}
        for logical in set(self.order_level) | {"Name", "Id"}:
            hit = by_norm.get(_norm(logical))
            if hit is not None:
                self.cols[logical] = hit
        need = ["Name", "Created at", "Subtotal" if self.revenue_mode == "subtotal" else "Total"]
        missing = [c for c in need if c not in self.cols]
        if missing:
            raise SchemaError(f"not a Shopify orders export: the column(s) {', '.join(missing)} are missing",
                              file=self.label, row=1, column=missing[0],
                              hint=f"export the orders again from Shopify (Orders > Export); the file has: "
                                   f"{_list(columns)}")
        self.key_column = self.cols["Name"]
        if "Email" not in self.cols:
            self.warnings.append("the export has no Email column: every order counts as a customer of its own, "
                                 "so repeat purchases and customer value cannot be measured")
        if self.revenue_mode == "net" and "Refunded Amount" not in self.cols:
            self.notes.append("the export has no Refunded Amount column: revenue is Total, refunds not taken off")
        self.mapping = {c: c for c in self.produces}

    def output_columns(self) -> list[str]:
        return list(self.produces)

    def _col(self, folded: pd.DataFrame, logical: str) -> pd.Series:
        raw = self.cols.get(logical)
        if raw is None:
            return pd.Series(None, index=folded.index, dtype=object)
        return folded[raw]

    def _orders(self, frame: pd.DataFrame, rows: np.ndarray):
        level = [self.cols[c] for c in self.order_level if c in self.cols]
        folded, first_rows, counts, reason = fold_line_items(frame, rows, self.key_column, level)
        self.counts["line_rows"] += int(counts.sum() - len(counts))
        order_id = as_text(self._col(folded, "Name")).str.strip()
        email = as_text(self._col(folded, "Email")).str.strip().str.lower()
        no_customer = email.isna() | email.eq("")
        self.counts["no_customer"] += int(no_customer.sum())
        customer = email.where(~no_customer, order_pseudonym("shopify", order_id))
        total = _numbers(self._col(folded, "Total"))
        refunded = _numbers(self._col(folded, "Refunded Amount")).fillna(0.0)
        if self.revenue_mode == "subtotal":
            revenue_text = self._col(folded, "Subtotal")
            revenue = _numbers(revenue_text)
        else:
            revenue_text = self._col(folded, "Total")
            revenue = total - refunded if self.revenue_mode == "net" else total
        status = as_text(self._col(folded, "Financial Status")).str.strip().str.lower()
        cancelled = ~_blank(self._col(folded, "Cancelled at"))
        voided = status.eq("voided").fillna(False)
        reason = reason.copy()
        missing_rev = _blank(revenue_text)
        bad_rev = ~missing_rev & revenue.isna()
        col_name = "Subtotal" if self.revenue_mode == "subtotal" else "Total"
        reason[missing_rev] = f"revenue: {col_name} is empty on the order's first row"
        reason[bad_rev] = f"revenue: cannot read {col_name} " + as_text(revenue_text)[bad_rev].map(repr) + \
            " as a number"
        reason[voided.to_numpy()] = "excluded: payment voided (Financial Status voided)"
        reason[cancelled.to_numpy()] = "excluded: cancelled order (Cancelled at " + \
            as_text(self._col(folded, "Cancelled at"))[cancelled].astype(str) + ")"
        ok = reason.isna()
        self.counts["cancelled"] += int(cancelled.sum())
        self.counts["voided"] += int((voided & ~cancelled).sum())
        self.counts["refunded"] += float(refunded[ok].sum())
        self.counts["refunded_orders"] += int((refunded[ok] > 0).sum())
        self.counts["discount"] += float(_numbers(self._col(folded, "Discount Amount"))[ok].fillna(0).sum())
        out = pd.DataFrame({
            "order_id": order_id,
            "customer_id": customer,
            "ts": shopify_timestamp(self._col(folded, "Created at")),
            "revenue": revenue.round(2).where(revenue.notna(), as_text(revenue_text)),
            "_reject": reason,
        })
        return out, first_rows

    def finish(self):
        self._summarise()
        return None

    def _summarise(self) -> None:
        c = self.counts
        if c["line_rows"]:
            self.notes.append(f"{c['line_rows']:,} further line-item rows were folded into their orders")
        if c["no_customer"]:
            self.notes.append(f"{c['no_customer']:,} orders without a customer e-mail keep their revenue under a "
                              f"pseudonym of the order")
        if c["cancelled"] or c["voided"]:
            self.notes.append(f"excluded: {c['cancelled']:,} cancelled orders, {c['voided']:,} voided payments")
        if c["refunded_orders"]:
            verb = "taken off revenue" if self.revenue_mode == "net" else "not taken off revenue (revenue: " \
                   f"{self.revenue_mode})"
            self.notes.append(f"refunds of {c['refunded']:,.2f} on {c['refunded_orders']:,} orders {verb}")
        if c["discount"]:
            self.notes.append(f"discounts of {c['discount']:,.2f} are already taken off the totals")


# ---------------------------------------------------------------- WooCommerce

#: logical field -> names in the WooCommerce exports (Analytics download, Customer/Order/Coupon Export, REST API)
WOO_FIELDS = {
    "order_id": ("Order #", "order_number", "order_number_formatted", "Order Number", "number", "order_id",
                 "Order ID", "id"),
    "ts": ("date_created_gmt", "Date", "order_date", "date", "Order Date", "date_created", "Created"),
    "status": ("Status", "status", "Order Status"),
    "total": ("Net Sales", "order_total", "Order Total", "total"),
    "refunded": ("refunded_total", "Refunded Total", "Order Refund Amount", "refunds"),
    "customer": ("billing_email", "Billing Email", "billing.email", "Email", "customer_email", "customer_id",
                 "Customer ID", "customer_user", "Customer"),
    "discount": ("discount_total", "Discount Total", "cart_discount", "Coupon(s)"),
}
WOO_EXCLUDED = ("cancelled", "failed", "pending", "pending payment", "draft", "checkout-draft", "trash",
                "wc-cancelled", "wc-failed", "wc-pending", "wc-checkout-draft")


def _refund_sum(series: pd.Series) -> pd.Series:
    """``refunds`` of the REST API is a list of {id, reason, total: "-5.00"}; CSV columns are plain numbers."""
    def one(cell):
        if isinstance(cell, (list, tuple, np.ndarray)):
            return sum(abs(float(r.get("total") or 0)) for r in cell if isinstance(r, dict))
        return cell

    if series.dtype == object:
        series = series.map(one)
    return _numbers(series).abs()


class WooCommerceOrders(_LineItemOrders):
    name = tool = "woocommerce"
    tables = ("orders",)
    summary = "WooCommerce orders (Analytics > Orders download, Order Export CSV, or the REST API JSON)"
    options = CrmAdapter.options
    produces = ("order_id", "customer_id", "ts", "revenue")
    extra_column_keys = tuple(WOO_FIELDS)

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        if sample.has("Order #", "Net Sales", "Status") and (sample.has("Customer type") or sample.has("Items sold")):
            return Detection("woocommerce", "orders", 0.95,
                             ["WooCommerce Analytics orders report (Order #, Net Sales, Customer type)"], options={})
        if sample.has("order_total") and (sample.has("order_number") or sample.has("billing_email")) \
                and sample.has("order_id"):
            return Detection("woocommerce", "orders", 0.9,
                             ["WooCommerce order export columns order_id, order_total, billing_email"], options={})
        if sample.has("order_key", "total") and (sample.has("date_created_gmt") or sample.has("date_created")):
            return Detection("woocommerce", "orders", 0.9, ["WooCommerce REST API orders (order_key, total)"],
                             options={})
        if sample.has("Order ID", "Order Total", "Order Status"):
            return Detection("woocommerce", "orders", 0.7, ["order columns Order ID, Order Total, Order Status"],
                             options={})
        return None

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.counts = {"line_rows": 0, "no_customer": 0, "excluded": 0, "refunded": 0.0}

    def required(self) -> list[str]:
        return []

    def bind(self, columns: list[str]) -> None:
        by_norm = {_norm(c): c for c in columns}
        exact = set(columns)
        self.cols: dict[str, str] = {}
        for logical, names in WOO_FIELDS.items():
            explicit = self.source.columns.get(logical)
            for name in ([explicit] if explicit else names):
                hit = name if name in exact else by_norm.get(_norm(name))
                if hit is not None:
                    self.cols[logical] = hit
                    break
        # the REST API's "id" is the post id; "number" is the order number the shop shows: keep "number"
        missing = [c for c in ("order_id", "ts", "total") if c not in self.cols]
        if missing:
            raise SchemaError(f"not a WooCommerce orders export: no {', '.join(missing)} column",
                              file=self.label, row=1, column=missing[0],
                              hint=f"download Analytics > Orders as CSV, or map the columns with `columns:`; "
                                   f"the file has: {_list(columns)}")
        self.key_column = self.cols["order_id"]
        if self.cols.get("customer") in ("Customer",):
            self.notes.append("customers are told apart by the name in the Customer column (the Analytics report "
                              "has no e-mail)")
        if "customer" not in self.cols:
            self.warnings.append("the export has no customer column: every order counts as a customer of its own")
        self.mapping = {c: c for c in self.produces}

    def output_columns(self) -> list[str]:
        return list(self.produces)

    def _orders(self, frame: pd.DataFrame, rows: np.ndarray):
        level = [self.cols[c] for c in ("ts", "status", "total", "customer") if c in self.cols]
        folded, first_rows, counts, reason = fold_line_items(frame, rows, self.key_column, level)
        if "refunded" in self.cols:  # lists are not compared row by row: take the order's first row
            folded[self.cols["refunded"]] = frame[self.cols["refunded"]].iloc[
                np.searchsorted(rows, first_rows)].to_numpy()
        self.counts["line_rows"] += int(counts.sum() - len(counts))

        def col(logical):
            raw = self.cols.get(logical)
            return folded[raw] if raw else pd.Series(None, index=folded.index, dtype=object)

        order_id = as_text(col("order_id")).str.strip()
        customer = as_text(col("customer")).str.strip()
        if self.cols.get("customer", "").lower().endswith("email") or "email" in self.cols.get("customer", ""):
            customer = customer.str.lower()
        no_customer = customer.isna() | customer.eq("") | customer.eq("0")  # customer_id 0 = guest checkout
        self.counts["no_customer"] += int(no_customer.sum())
        customer = customer.where(~no_customer, order_pseudonym("woocommerce", order_id))
        total_text = col("total")
        total = _numbers(total_text)
        analytics = self.cols["total"] == "Net Sales"
        refunded = _refund_sum(col("refunded")).fillna(0.0) if not analytics else pd.Series(0.0, index=folded.index)
        revenue = (total - refunded).clip(lower=0)
        status = as_text(col("status")).str.strip().str.lower()
        excluded = status.isin(WOO_EXCLUDED).fillna(False)
        reason = reason.copy()
        reason[_blank(total_text).to_numpy()] = f"revenue: {self.cols['total']} is empty"
        bad = ~_blank(total_text) & total.isna()
        reason[bad.to_numpy()] = f"revenue: cannot read {self.cols['total']} " + \
            as_text(total_text)[bad].map(repr) + " as a number"
        reason[excluded.to_numpy()] = "excluded: order status " + status[excluded].astype(str)
        ok = reason.isna()
        self.counts["excluded"] += int(excluded.sum())
        self.counts["refunded"] += float(refunded[ok].sum())
        out = pd.DataFrame({
            "order_id": order_id,
            "customer_id": customer,
            "ts": as_text(col("ts")),
            "revenue": revenue.round(2).where(revenue.notna(), as_text(total_text)),
            "_reject": reason,
        })
        return out, first_rows

    def finish(self):
        self._summarise()
        return None

    def _summarise(self) -> None:
        c = self.counts
        if c["line_rows"]:
            self.notes.append(f"{c['line_rows']:,} further line-item rows were folded into their orders")
        if c["no_customer"]:
            self.notes.append(f"{c['no_customer']:,} guest orders keep their revenue under a pseudonym of the order")
        if c["excluded"]:
            self.notes.append(f"excluded: {c['excluded']:,} orders cancelled, failed, pending or in draft")
        if c["refunded"]:
            self.notes.append(f"refunds of {c['refunded']:,.2f} taken off revenue")
