"""The Summary sheet: totals, per rule, and a chart of the claimable amount."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font

from auditor.findings import CLAIMABLE, EXPIRING_DAYS
from auditor.store import has_table
from auditor.workbook.cells import (
    BOLD,
    DATE_FORMAT,
    HEADER_FILL,
    money_format,
    print_wide,
    styled_row,
)
from rules.registry import RULES

RIGHT = Alignment(horizontal="right")
# The claims the seller recorded (fba-audit claims mark, or the Claims sheet), in money: filed
# and waiting, paid (what Amazon paid), denied (what was asked).
TRACKED = (("filed", "Filed, awaiting Amazon"), ("paid", "Paid by Amazon"), ("denied", "Denied"))


def summary_sheet(book, con, info, as_of, findings) -> None:
    ws = book.create_sheet("Summary")
    print_wide(ws)
    ws.column_dimensions["A"].width = max(58, max(len(r.title) for r in RULES) + 2)
    for letter in "BCDEFGHIJK":
        ws.column_dimensions[letter].width = 13 if letter == "J" else 11
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

    def put(values, font=None, formats=None, links=None, fill=None, align_right=()):
        put.row += 1
        cells = styled_row(ws, put.row, values, font, fill, formats, links)
        for n in align_right:  # a header over numbers stands over them
            cells[n].alignment = RIGHT
        ws.append(cells)

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
        for label, amount in _tracked(con, currency):
            put([f"{label} ({currency})", amount], formats={1: fmt})
    # what the run could not check (e.g. orders past the newest fee card), where it is seen
    for note in info.get("notes", []):
        if "not checked" in note:
            put(["Not checked", note])
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
        align_right=range(2, 11),
    )
    fmt = money_format(currencies[0])
    total = [0] * 8
    for rule in RULES:
        mine = [f for f in findings if f["rule"] == rule.code]
        ready = [f for f in mine if f["status"] in CLAIMABLE]
        counts = defaultdict(int)
        for f in mine:
            counts[f["status"]] += 1
        missing = info["not_run"].get(rule.code)
        numbers = [
            len(ready),
            sum(f["quantity"] or 0 for f in ready),
            sum((f["amount"] or 0 for f in ready), Decimal(0)),
            counts["open"],
            counts["expiring"],
            counts["pending"],
            counts["expired"],
            sum(1 for f in ready if f["change"] == "new"),  # as the terminal counts them
        ]
        total = [t + n for t, n in zip(total, numbers, strict=False)]
        put(
            [rule.title, rule.code, *numbers, "needs " + ", ".join(missing) if missing else ""],
            formats={4: fmt},
            links={1: f"'{rule.code}'!A1"},
        )
    last_rule_row = put.row
    if len(currencies) == 1:  # amounts in two currencies are never added
        put(["Total", "", *total[:8]], font=BOLD, formats={4: fmt})
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
    chart.height, chart.width = max(9, 0.8 * len(RULES)), 24  # a label for every rule
    ws.add_chart(chart, f"A{put.row + 2}")


def _tracked(con, currency: str) -> list[tuple[str, Decimal]]:
    """(label, amount) per tracked claim state, in `currency`."""
    amounts = {}
    if has_table(con, "claims") and has_table(con, "run_findings"):
        amounts = dict(
            con.execute(
                """SELECT c.state, sum(CASE WHEN c.state = 'paid'
                                            THEN coalesce(c.recovered, f.amount)
                                            ELSE f.amount END)
                FROM claims c JOIN (
                    SELECT finding_id, amount, currency FROM run_findings
                    WHERE change <> 'resolved'
                    QUALIFY row_number() OVER (PARTITION BY finding_id ORDER BY run_id DESC) = 1
                ) f USING (finding_id)
                WHERE f.currency = $currency GROUP BY c.state""",
                {"currency": currency},
            ).fetchall()
        )
    return [(label, amounts.get(state) or Decimal(0)) for state, label in TRACKED]
