"""openpyxl's write-only mode against XlsxWriter's constant-memory mode, on the same plain rows
(text, numbers, dates), to see what a switch of the workbook's writer would buy.

XlsxWriter is not one of the auditor's dependencies; without it only openpyxl is measured.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

COLUMNS = 12


def _rows(count: int) -> list[list]:
    day = dt.date(2025, 1, 1)
    return [
        [f"R01-{i:08x}", f"SKU-{i % 500}", "open", "settlement", "settlements/1184.txt", i,
         day + dt.timedelta(i % 300), f"X00{i}", f"Product title {i}", i % 7, 12.34 + i % 10,
         "ItemPrice"]
        for i in range(count)
    ]  # fmt: skip


def measure_writers(cells: int = 600_000) -> dict:
    rows = _rows(cells // COLUMNS)
    result = {"cells": len(rows) * COLUMNS}
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        book = Workbook(write_only=True)
        sheet = book.create_sheet("rows")
        for row in rows:
            sheet.append(row)
        book.save(Path(folder) / "openpyxl.xlsx")
        result["openpyxl"] = time.perf_counter() - start
        try:
            import xlsxwriter
        except ImportError:
            return result
        start = time.perf_counter()
        book = xlsxwriter.Workbook(
            str(Path(folder) / "xlsxwriter.xlsx"),
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        sheet = book.add_worksheet("rows")
        dates = book.add_format({"num_format": "yyyy-mm-dd"})
        for n, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, str):
                    sheet.write_string(n, c, value)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(n, c, value, dates)
                else:
                    sheet.write_number(n, c, value)
        book.close()
        result["xlsxwriter"] = time.perf_counter() - start
    return result


def render_writers(measured: dict) -> str:
    line = (
        f"{measured['cells']:,} plain cells (text, numbers, dates): openpyxl's write-only mode "
        f"{measured['openpyxl']:.1f} s ({measured['openpyxl'] / measured['cells'] * 1e6:.1f} µs "
        "a cell)"
    )
    if "xlsxwriter" in measured:
        line += (
            f", XlsxWriter's constant-memory mode {measured['xlsxwriter']:.1f} s "
            f"({measured['openpyxl'] / measured['xlsxwriter']:.2f}× faster)"
        )
    else:
        line += "; XlsxWriter not installed, not measured"
    return line
