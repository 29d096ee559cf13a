"""CRM and shop order exports -> orders: the ``crm`` adapter.

Order id, customer number, date, total (currency marks and decimal commas
are read), optional channel/store as touchpoint. ``exclude: {column:
Status, values: [Cancelled]}`` rejects, with that reason, orders that
should not count.
"""

from __future__ import annotations

import numpy as np

from helpers.errors import ConfigError
from helpers.ingest.adapters.base import Adapter
from helpers.ingest.convert import as_text
from helpers.ingest.readers import RawChunk


class CrmAdapter(Adapter):
    name = "crm"
    options = ("exclude",)
    aliases = {
        "order_id": ("Order ID", "Order number", "Order no", "Ordrenummer", "Ordrenr", "Ordernummer", "Invoice",
                     "Fakturanummer", "id"),
        "customer_id": ("Customer ID", "Customer number", "Customer no", "Kundenummer", "Kundenr", "Kundnummer",
                        "Account", "Contact ID"),
        "ts": ("Order date", "Date", "Created", "Created at", "Ordredato", "Orderdatum", "Dato", "Datum"),
        "revenue": ("Total", "Amount", "Order total", "Net amount", "Beløb", "Belopp", "Total amount", "Value",
                    "Omsætning", "Sum"),
        "touchpoint_id": ("Channel", "Kanal", "Store", "Butik", "Butikk", "Sales channel", "Salgskanal"),
        "segment": ("Segment", "Customer type", "Kundetype", "Kundtyp"),
    }

    def bind(self, columns: list[str]) -> None:
        super().bind(columns)
        rule = self.opts.get("exclude")
        self.exclude = None
        if rule:
            if not isinstance(rule, dict) or "column" not in rule or "values" not in rule:
                raise ConfigError(f"source '{self.source.file}': `exclude` needs `column` and `values`",
                                  file=self.cfg.path, hint="exclude: {column: Status, values: [Cancelled]}")
            self.opts["_col"] = rule["column"]
            col = self.option_column("_col", columns)
            self.opts.pop("_col")
            self.exclude = (col, {str(v).strip().lower() for v in rule["values"]})

    def records(self, chunk: RawChunk):
        frame, rows = super().records(chunk)
        if self.exclude:
            col, values = self.exclude
            status = as_text(chunk.frame[col])
            hit = status.str.lower().isin(values).to_numpy()
            frame["_reject"] = np.where(hit, "excluded: " + col + " is '" + status.fillna("") + "'", None)
        return frame, rows
