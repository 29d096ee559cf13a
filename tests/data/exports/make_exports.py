"""Regenerate the sample exports in raw/ (deterministic). Run: python tests/data/exports/make_exports.py

Each file imitates a real export as it arrives from a Danish client: a GA4 BigQuery export in JSON lines
(nested, INT64 as strings as BigQuery writes them), a wide survey CSV from a survey tool (semicolons,
UTF-8 with BOM, dd-mm-yyyy dates, answers such as "10 - Meget sandsynligt"), a long survey export in
Excel with a touchpoint column, an interview coding sheet in Excel, an observation sheet in CSV,
a Trustpilot-style JSON review export, a CRM order export in Windows-1252 with decimal commas and
dd.mm.yyyy dates, and a canonical costs file.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from openpyxl import Workbook

RAW = Path(__file__).parent / "raw"
rng = random.Random(8)
CUSTOMERS = [f"DK-{100000 + i}" for i in range(40)]
COMMENTS = [
    "Hurtig levering, tak!",
    "Ring gerne til mig på 23 45 67 89 om min ordre",
    "Skriv til mette.larsen@example.dk hvis der er spørgsmål",
    "Butikken var rodet, men personalet var søde",
    "Jeg ventede 20 minutter i telefonen",
    "",
    "Fin hjemmeside, nem at bruge",
    "Kontakt +45 40 12 34 56 efter kl. 16",
]
# Phone numbers and e-mail addresses planted in the free text of the exports, in forms the masker must
# catch; tests check the outputs for them with their own patterns, not with the masker.
PLANTED_PHONES = ["20.12.34.56", "31-12-20-25", "+45 20123456", "0046 70 123 45 67", "+47 912 34 567"]
PLANTED_EMAILS = ["kari.nordmann@example.no", "kunde.service+ordre@example.com"]
PLANTED = [
    "Ring 20.12.34.56 efter kl. 16",
    "tlf.: 31-12-20-25",
    "Kontakt mig på +45 20123456 eller kari.nordmann@example.no",
    "Min svenske mobil er 0046 70 123 45 67",
    "Norsk nummer +47 912 34 567, mail kunde.service+ordre@example.com",
]


def _plant(text, k: int):
    """The k-th planted text instead of ``text`` (0 <= k < len(PLANTED)); the random draw stays as it was."""
    return PLANTED[k] if 0 <= k < len(PLANTED) else text


def _title(title: str, i: int) -> str:
    return "Ring 31-12-20-25" if i == 7 else title


def ga4() -> None:
    out = RAW / "ga4"
    out.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 7, 1, 6, 0, tzinfo=timezone.utc)
    lines = []
    for s in range(60):
        user = f"{rng.randrange(10**9, 10**10)}.{rng.randrange(10**9, 10**10)}"
        t = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        session = int(t.timestamp())
        medium, source = rng.choice([("cpc", "google"), ("email", "newsletter"), ("organic", "google"),
                                     ("(none)", "(direct)")])
        steps = ["session_start", "page_view"] + rng.sample(["view_item", "page_view", "faq", "add_to_cart"], 2)
        if rng.random() < 0.35:
            steps += ["begin_checkout", "purchase"]
        for step in steps:
            t += timedelta(seconds=rng.randrange(5, 400))
            page = "https://www.nordhavn-cykler.dk/" + {"faq": "hjaelp/levering", "view_item": "cykler/bycykel-7",
                                                        "begin_checkout": "kurv",
                                                        "purchase": "kvittering"}.get(step, "")
            name = "page_view" if step == "faq" else step
            params = [
                {"key": "ga_session_id", "value": {"string_value": None, "int_value": str(session),
                                                   "float_value": None, "double_value": None}},
                {"key": "page_location", "value": {"string_value": page, "int_value": None,
                                                   "float_value": None, "double_value": None}},
            ]
            # the event-level source only on the first event of a session, as GA4 records it
            collected = {"manual_source": source, "manual_medium": medium} if step == "session_start" else None
            revenue = round(rng.uniform(2500, 9000), 2) if name == "purchase" else None
            lines.append({
                "event_date": t.strftime("%Y%m%d"),
                "event_timestamp": str(int(t.timestamp() * 1_000_000) + rng.randrange(0, 999_999)),
                "event_name": name,
                "event_params": params,
                "user_pseudo_id": user,
                "traffic_source": {"name": "(organic)", "medium": medium, "source": source},
                "collected_traffic_source": collected,
                "ecommerce": {"purchase_revenue": revenue, "transaction_id": f"T{s}" if revenue else None}
                if name == "purchase" else None,
                "device": {"category": rng.choice(["mobile", "desktop"])},
            })
    with open(out / "events_20260701.jsonl", "w", encoding="utf-8") as fh:
        for rec in lines:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def survey_wide() -> None:
    head = ["Svar-ID", "Kundenummer", "Besvaret", "Hvor sandsynligt er det, at du vil anbefale os? (0-10)",
            "Hvor tilfreds var du med hjemmesiden?", "Hvor tilfreds var du med butikken?",
            "Hvor tilfreds var du med leveringen?", "Alt i alt, hvor tilfreds er du?", "Har du andre kommentarer?"]
    rows = [";".join(head)]
    for i in range(30):
        day = datetime(2026, 7, 1) + timedelta(days=i, hours=rng.randrange(8, 21), minutes=rng.randrange(60))
        nps = rng.randrange(0, 11)
        nps_text = f"{nps} - Meget sandsynligt" if nps == 10 else (f"{nps} - Slet ikke sandsynligt" if nps == 0
                                                                    else str(nps))
        def sc():
            return "" if rng.random() < 0.3 else str(rng.randrange(1, 6))
        comment = _plant(rng.choice(COMMENTS), i - 10)
        comment = f'"{comment}"' if comment else ""
        rows.append(";".join([f"S-{5000 + i}", rng.choice(CUSTOMERS), day.strftime("%d-%m-%Y %H:%M"), nps_text,
                              sc(), sc(), sc(), str(rng.randrange(1, 6)), comment]))
    (RAW / "survey_wide.csv").write_bytes("\ufeff".encode() + ("\r\n".join(rows) + "\r\n").encode("utf-8"))


def survey_touchpoint() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(["Response ID", "Customer ID", "Submitted at", "Touchpoint", "Satisfaction", "NPS", "Comment"])
    for i in range(25):
        ws.append([f"T-{900 + i}", rng.choice(CUSTOMERS),
                   datetime(2026, 8, 1, 9) + timedelta(days=i, minutes=rng.randrange(600)),
                   rng.choice(["Kundeservice (telefon)", "Web", "Butik", "Levering"]),
                   rng.randrange(1, 6), rng.randrange(0, 11), _plant(rng.choice(COMMENTS) or None, i - 20)])
    wb.save(RAW / "survey_touchpoint.xlsx")


def interviews() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Kodning"
    ws.append(["Interview", "Deltager", "Dato", "Berøringspunkt", "Fase", "Sentiment", "Citat"])
    quotes = [
        ("Butik", "decision", "positiv", "Ekspedienten tog sig god tid til at finde den rigtige størrelse"),
        ("Kundeservice", "retention", "negativ", "Jeg ringede tre gange, før nogen tog den"),
        ("Website", "consideration", "neutral", "Jeg fandt cyklen, men kunne ikke se leveringstiden"),
        ("Levering", "retention", "positiv", "Den kom dagen efter, flot pakket"),
        ("Kundeservice", "retention", "negativ", "De bad mig sende billeder til service@nordhavn-cykler.dk"),
        ("Butik", "decision", "neutral", "Prøvetur var fint, men der var kø"),
    ]
    for i, (tp, stage, sent, quote) in enumerate(quotes * 2):
        ws.append([f"INT-{1 + i // 3}", f"P{1 + i // 3:02d}", datetime(2026, 8, 10 + i // 3).date(), tp, stage,
                   sent, quote])
    wb.save(RAW / "interviews.xlsx")


def observations() -> None:
    rows = ["Observation ID,Observed at,Touchpoint,Stage,Sentiment,Note"]
    notes = [
        ("Butik", "decision", "2", "Kunden fik hjælp med det samme ved kassen"),
        ("Butik", "decision", "-1", "Ingen prisskilte på tilbehør; kunden spurgte to gange"),
        ("Website", "consideration", "0", "Brugeren ledte efter størrelsesguide i menuen"),
        ("Levering", "retention", "-2", "Pakken blev stillet i regnvejr uden besked"),
    ]
    for i, (tp, stage, s, note) in enumerate(notes * 3):
        rows.append(f'OBS-{i + 1},2026-08-{12 + i // 4:02d} {10 + i}:15,{tp},{stage},{s},"{note}"')
    (RAW / "observations.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def trustpilot() -> None:
    titles = ["Super service", "Lang leveringstid", "God cykel", "Skuffet", "Anbefales!"]
    reviews = []
    for i in range(20):
        stars = rng.randrange(1, 6)
        t = datetime(2026, 7, 3, tzinfo=timezone.utc) + timedelta(days=i * 3, hours=rng.randrange(24))
        reply = None
        if stars <= 2:
            reply = {"text": "Beklager! Skriv til kundeservice@nordhavn-cykler.dk eller ring 70 20 30 40.",
                     "createdAt": (t + timedelta(days=1)).isoformat().replace("+00:00", "Z")}
        reviews.append({
            "id": f"65a{i:05d}f",
            "stars": stars,
            "title": _title(rng.choice(titles), i),
            "text": _plant(rng.choice(COMMENTS) or "Ingen kommentar", i - 15),
            "language": rng.choice(["da", "da", "en"]),
            "createdAt": t.isoformat().replace("+00:00", "Z"),
            "consumer": {"displayName": f"Kunde {i}"},
            "companyReply": reply,
        })
    (RAW / "trustpilot.json").write_text(json.dumps({"reviews": reviews}, ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")


def crm() -> None:
    rows = ["Ordrenummer;Kundenummer;Ordredato;Beløb;Salgskanal;Status;Kundetype"]
    for i in range(40):
        amount = f"{rng.randrange(800, 14000):,}".replace(",", ".") + f",{rng.randrange(0, 100):02d}"
        day = datetime(2026, 7, 1) + timedelta(days=i * 2)
        rows.append(f"{70000 + i};{rng.choice(CUSTOMERS)};{day:%d.%m.%Y};{amount} kr.;"
                    f"{rng.choice(['Webshop', 'Butik Nørrebro', 'Butik Aarhus'])};Leveret;"
                    f"{rng.choice(['Privat', 'Erhverv'])}")
    (RAW / "crm_orders.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))


def costs() -> None:
    rows = ["touchpoint_id,period,cost"]
    for tp, cost in [("search_ads", 42000), ("newsletter", 6500), ("store", 310000), ("website", 55000),
                     ("service", 98000)]:
        rows.append(f"{tp},2026Q3,{cost}")
    (RAW / "costs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    RAW.mkdir(exist_ok=True)
    for make in (ga4, survey_wide, survey_touchpoint, interviews, observations, trustpilot, crm, costs):
        make()
