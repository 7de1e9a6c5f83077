"""The Summary sheet: totals, per rule, and a chart of the claimable amount."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from auditor.findings import CLAIMABLE, EXPIRING_DAYS
from auditor.workbook.cells import (
    BOLD,
    DATE_FORMAT,
    HEADER_FILL,
    money_format,
    print_wide,
    styled_row,
)
from rules.registry import RULES


def summary_sheet(book, con, info, as_of, findings) -> None:
    ws = book.create_sheet("Summary")
    print_wide(ws)
    ws.column_dimensions["A"].width = 58
    for letter in "BCDEFGHIJK":
        ws.column_dimensions[letter].width = 11
    markets = [
        r[0]
        for r in con.execute(
            """SELECT DISTINCT marketplace_name FROM raw_settlement
        WHERE marketplace_name IS NOT NULL
        UNION SELECT DISTINCT sales_channel FROM raw_orders WHERE sales_channel IS NOT NULL
        ORDER BY 1"""
        ).fetchall()
    ]
    claimable = [f for f in findings if f["status"] in CLAIMABLE]
    currencies = sorted({f["currency"] or "" for f in findings}) or ["USD"]

    def put(values, font=None, formats=None, links=None, fill=None):
        put.row += 1
        ws.append(styled_row(ws, put.row, values, font, fill, formats, links))

    put.row = 0  # the row `put` wrote last
    put(["Amazon FBA claims", ""], font=Font(bold=True, size=14))
    put(["As of", as_of], formats={1: DATE_FORMAT})
    put(["Marketplace", ", ".join(markets) or "unknown"])
    for currency in currencies:
        fmt = money_format(currency)
        now = sum((f["amount"] or 0 for f in claimable if f["currency"] == currency), Decimal(0))
        soon = sum(
            (
                f["amount"] or 0
                for f in claimable
                if f["currency"] == currency and f["status"] == "expiring"
            ),
            Decimal(0),
        )
        put([f"Total claimable now ({currency})", now], font=BOLD, formats={1: fmt})
        put([f"Expiring within {EXPIRING_DAYS} days ({currency})", soon], formats={1: fmt})
        for status, label in (
            ("pending", "Pending: claimable later"),
            ("expired", "Expired: lost"),
        ):
            lost = sum(
                (
                    f["amount"] or 0
                    for f in findings
                    if f["currency"] == currency and f["status"] == status
                ),
                Decimal(0),
            )
            put([f"{label} ({currency})", lost], formats={1: fmt})
    put([])
    first_rule_row = put.row + 2
    put(
        [
            "Rule",
            "Code",
            "Claimable",
            "Units",
            "Amount",
            "Open",
            "Expiring",
            "Pending",
            "Expired",
            "New this run",
            "Not run",
        ],
        font=BOLD,
        fill=HEADER_FILL,
    )
    fmt = money_format(currencies[0])
    for rule in RULES:
        mine = [f for f in findings if f["rule"] == rule.code]
        ready = [f for f in mine if f["status"] in CLAIMABLE]
        counts = defaultdict(int)
        for f in mine:
            counts[f["status"]] += 1
        missing = info["not_run"].get(rule.code)
        put(
            [
                rule.title,
                rule.code,
                len(ready),
                sum(f["quantity"] or 0 for f in ready),
                sum((f["amount"] or 0 for f in ready), Decimal(0)),
                counts["open"],
                counts["expiring"],
                counts["pending"],
                counts["expired"],
                sum(1 for f in mine if f["change"] == "new"),
                "needs " + ", ".join(missing) if missing else "",
            ],
            formats={4: fmt},
            links={1: f"'{rule.code}'!A1"},
        )
    last_rule_row = put.row
    put([])
    put(
        ["Claims: one row per claim to file, new this run first, then soonest deadline"],
        links={0: "'Claims'!A1"},
    )
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Claimable amount by rule"
    chart.y_axis.title = f"Amount ({currencies[0]})"
    chart.legend = None
    chart.add_data(
        Reference(ws, min_col=5, min_row=first_rule_row - 1, max_row=last_rule_row),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=first_rule_row, max_row=last_rule_row))
    chart.height, chart.width = 9, 22
    ws.add_chart(chart, f"A{put.row + 2}")
