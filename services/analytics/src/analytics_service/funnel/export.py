"""CSV and XLSX renderings of the funnel: the stages table (and, in XLSX, a second sheet per responsible person)."""

from __future__ import annotations

import io

import xlsxwriter

from analytics_service.funnel.schemas import FunnelReport
from analytics_service.sales.export import csv_bytes

STAGE_COLUMNS = (
    "stage_id",
    "name",
    "semantics",
    "current_deals",
    "current_value",
    "reached",
    "conversion_to_next_percent",
)
RESPONSIBLE_COLUMNS = ("responsible_id", "responsible_name", "open_deals", "open_value")
NUMBERS = {"current_deals", "current_value", "reached", "conversion_to_next_percent", "open_deals", "open_value"}


def _stage_rows(report: FunnelReport) -> list[list[object]]:
    return [[getattr(stage, c) for c in STAGE_COLUMNS] for stage in report.stages]


def to_csv(report: FunnelReport) -> bytes:
    return csv_bytes(STAGE_COLUMNS, _stage_rows(report))


def to_xlsx(report: FunnelReport) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    tables = (
        ("stages", STAGE_COLUMNS, _stage_rows(report)),
        (
            "responsible",
            RESPONSIBLE_COLUMNS,
            [[getattr(r, c) for c in RESPONSIBLE_COLUMNS] for r in report.by_responsible],
        ),
    )
    for title, columns, rows in tables:
        sheet = book.add_worksheet(title)
        sheet.write_row(0, 0, columns, bold)
        for r, cells in enumerate(rows, start=1):
            for c, value in enumerate(cells):
                if value is None:
                    continue
                if columns[c] in NUMBERS:
                    sheet.write_number(r, c, float(str(value)))
                else:
                    sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()
