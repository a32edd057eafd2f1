"""CSV and XLSX renderings of the sales report (numbers stay numbers in XLSX, decimals in CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import xlsxwriter

from analytics_service.sales.schemas import SalesReport

COLUMNS = ("bucket", "key", "name", "documents", "quantity", "revenue", "vat", "cost", "profit", "margin_percent")


def _cells(report: SalesReport) -> list[list[object]]:
    rows: list[list[object]] = [[getattr(row, c) for c in COLUMNS] for row in report.rows]
    t = report.totals
    rows.append(["total", None, None, t.documents, t.quantity, t.revenue, t.vat, t.cost, t.profit, t.margin_percent])
    return rows


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV table for spreadsheets: empty cells for None, decimals as written, and a BOM so that Excel opens
    Cyrillic names correctly. Every report's CSV export goes through here."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for cells in rows:
        writer.writerow(["" if v is None else str(v) for v in cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_csv(report: SalesReport) -> bytes:
    return csv_bytes(COLUMNS, _cells(report))


def to_xlsx(report: SalesReport) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("sales")
    money = book.add_format({"num_format": "#,##0.00"})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, COLUMNS, bold)
    for r, cells in enumerate(_cells(report), start=1):
        for c, value in enumerate(cells):
            name = COLUMNS[c]
            if value is None:
                continue
            if name == "bucket" and not isinstance(value, str):
                sheet.write_datetime(r, c, value, date_format)
            elif name in ("revenue", "vat", "cost", "profit"):
                sheet.write_number(r, c, float(str(value)), money)
            elif name in ("documents", "quantity", "margin_percent"):
                sheet.write_number(r, c, float(str(value)))
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()
