"""Regenerate the broken files in this folder (deterministic). Run: python tests/data/bad/make_bad.py

Each file is broken as files arrive broken in practice; tests/test_ingest_bad.py states, per file, the
table it is offered as and what the error message must say.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
FEEDBACK_HEAD = "response_id,customer_id,ts,touchpoint_id,csat,nps"


def fb_rows(n: int, start: int = 1) -> list[str]:
    return [f"r{i},c{i},2026-07-{1 + i % 28:02d} 10:00:00,web,{1 + i % 5},{i % 11}" for i in range(start, start + n)]


def text(name: str, content: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(content.encode(encoding))


def main() -> None:
    rng = random.Random(2)
    (HERE / "empty.csv").write_bytes(b"")
    text("header_only.csv", FEEDBACK_HEAD + "\n")
    text("blank_lines.csv", "\n\n   \n\t\n")
    text("wrong_delimiter.csv", "\n".join([FEEDBACK_HEAD.replace(",", ";")]
                                          + [r.replace(",", ";") for r in fb_rows(5)]) + "\n")
    text("missing_column.csv", "\n".join(["response_id,customer_id,ts,touchpoint_id,nps"]
                                         + [r.rsplit(",", 2)[0] + "," + r.rsplit(",", 1)[1]
                                            for r in fb_rows(4)]) + "\n")
    text("non_numeric_scores.csv", "\n".join([FEEDBACK_HEAD] + [
        f"r{i},c{i},2026-07-01 10:00:00,web,{rng.choice(['Very satisfied', 'Satisfied', 'Neutral'])},8"
        for i in range(6)]) + "\n")
    rows = fb_rows(8)
    text("truncated_last_line.csv", "\n".join([FEEDBACK_HEAD] + rows[:-1] + [rows[-1][:14]]))
    good = "\n".join([FEEDBACK_HEAD] + fb_rows(3)).encode("utf-8")
    (HERE / "mixed_encodings.csv").write_bytes(
        good + "\nr90,Søren,2026-07-02 10:00:00,web,4,9\n".encode("utf-8")
        + "r91,Bjørn,2026-07-02 11:00:00,web,5,10\n".encode("cp1252"))
    (HERE / "binary.csv").write_bytes(bytes(rng.randrange(256) for _ in range(4096)) + b"\x00\x00")
    (HERE / "one_mb_line.csv").write_bytes(b"response_id," + b"x" * (1 << 20) + b",end")
    text("unclosed_quote.csv", "\n".join([FEEDBACK_HEAD + ",comment"] + [r + ",ok" for r in fb_rows(3)]
                                         + ['r9,c9,2026-07-09 10:00:00,web,4,9,"It was fine, but']
                                         + [r + ",ok" for r in fb_rows(3, start=20)]) + "\n")
    text("duplicate_header.csv", "\n".join(["response_id,customer_id,ts,touchpoint_id,csat,nps,csat"]
                                           + [r + ",3" for r in fb_rows(3)]) + "\n")
    text("not_a_zip.xlsx", "Ordrenummer;Kundenummer\n1;2\n")
    rows = [FEEDBACK_HEAD] + fb_rows(4)
    rows[2] = rows[2] + ",extra,fields"
    text("extra_fields.csv", "\n".join(rows) + "\n")
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Ark1"
    wb.save(HERE / "empty_sheet.xlsx")
    wb = Workbook()
    wb.active.append(FEEDBACK_HEAD.split(","))
    wb.save(HERE / "header_only.xlsx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    (HERE / "zip_named_csv.csv").write_bytes(buf.getvalue())
    text("html_page.csv", "<!DOCTYPE html>\n<html><head><title>Log in</title></head>\n"
                          "<body>Your session has expired.</body></html>\n")
    text("no_header.csv", "\n".join(fb_rows(5)) + "\n")
    text("all_bad_dates.csv", "\n".join([FEEDBACK_HEAD] + [
        f"r{i},c{i},{d},web,4,8" for i, d in enumerate(["July 3rd", "3rd of July", "next tuesday", "Q3"])]) + "\n")
    text("broken.jsonl", '{"id": 1, "stars": 5, "text": "ok", "date": "2026-07-01"}\n'
                         '{"id": 2, "stars": 4, "text": "fine", "date": "2026-07-02"}\n'
                         '{"id": 3, "stars": 3, "text": "cut off here\n')
    text("not_json.json", "stars,text\n5,fine\n")
    (HERE / "corrupt.parquet").write_bytes(b"PAR1" + bytes(rng.randrange(256) for _ in range(512)) + b"PAR1")
    text("json_without_records.json", '{\n  "status": "ok",\n  "count": 0\n}\n')
    text("future_only.csv", "\n".join([FEEDBACK_HEAD] + [f"r{i},c{i},2099-0{i + 1}-01 10:00:00,web,4,8"
                                                        for i in range(3)]) + "\n")
    text("not_ga4.csv", "date,page,visits\n2026-07-01,/,120\n")
    (HERE / "pdf_named_csv.csv").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    text("blank_header.csv", ",,,\n1,2,3,4\n")
    (HERE / "old_excel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    text("header_only_semicolon.csv", "Ordrenummer;Kundenummer;Ordredato;Beløb\r\n", encoding="cp1252")


if __name__ == "__main__":
    main()
