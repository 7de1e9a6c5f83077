"""`claims.xlsx`: the workbook a seller works from, written from the last run kept in the
database (`last_run`, `last_findings`, `last_evidence`) and the loaded files.

Sheets: Summary (totals, per rule, a chart), Claims (one row per claimable finding, soonest
deadline first, with case text), one sheet per rule with its evidence rows, Rules, Inputs.
Written in openpyxl's streaming mode; every text cell is stored as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import weakref
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from auditor.findings import CLAIMABLE, EXPIRING_DAYS, evidence_sql
from auditor.policy import load_policy_tables
from auditor.store import has_table
from rules.base import DOC_SECTIONS
from rules.registry import RULES

EVIDENCE_ROWS = 50  # per finding on its rule's sheet; evidence.csv has every row
MAX_ROWS = 1_048_576  # Excel's rows per sheet; a longer sheet continues on "<name> (2)"
CASE_TEXT_EVIDENCE = 12  # evidence rows quoted in a case text; the rest are on the rule's sheet
BOLD = Font(bold=True)
ITALIC = Font(italic=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
EXPIRING_FILL = PatternFill("solid", fgColor="FCE4D6")
FINDING_FILL = PatternFill("solid", fgColor="F2F2F2")
LINK = Font(color="0563C1", underline="single")
DATE_FORMAT = "yyyy-mm-dd"
CURRENCY_FORMATS = {
    "USD": '"$"#,##0.00',
    "CAD": '"CA$"#,##0.00',
    "GBP": '"£"#,##0.00',
    "EUR": '#,##0.00 "€"',
    "JPY": '"¥"#,##0',
    "AUD": '"A$"#,##0.00',
    "MXN": '"MX$"#,##0.00',
}


class NoRun(Exception):
    """The database has no audit run to write a workbook from."""


def money_format(currency: str | None) -> str:
    return CURRENCY_FORMATS.get(currency or "", f'#,##0.00 "{currency or ""}"')


class Sheet:
    """A streaming sheet: header row frozen and filtered, widths set, cells typed. Past Excel's
    row limit it continues on a new sheet named "<name> (2)", header repeated."""

    def __init__(
        self,
        book: Workbook,
        name: str,
        header: list[str],
        widths: list[float],
        max_rows: int = MAX_ROWS,
    ):
        self.book, self.name, self.header, self.widths = book, name, header, widths
        self.max_rows, self.part, self.sheets = max_rows, 0, []
        self._open()

    def _open(self) -> None:
        self.part += 1
        title = self.name if self.part == 1 else f"{self.name} ({self.part})"
        ws = self.book.create_sheet(title)
        ws.freeze_panes = "A2"
        for n, width in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(n)].width = width
        self.ws, self.row = ws, 0
        self.sheets.append(ws)
        self.append(self.header, font=BOLD, fill=HEADER_FILL)

    def append(
        self,
        values: list,
        font=None,
        fill=None,
        formats: dict[int, str] | None = None,
        links: dict[int, str] | None = None,
    ) -> None:
        if self.row >= self.max_rows:
            self._close()
            self._open()
        self.row += 1
        if not (font or fill or formats or links):
            self.ws.append([cell_for(self.ws, value) for value in values])
            return
        self.ws.append(styled_row(self.ws, self.row, values, font, fill, formats, links))

    def _close(self) -> None:
        last = get_column_letter(len(self.header))
        self.ws.auto_filter.ref = f"A1:{last}{max(self.row, 1)}"

    def close(self) -> None:
        self._close()


# Text that a spreadsheet could take for a formula or a command (report text is data).
RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def cell_for(ws, value):
    """`value` as data: text stays text (`=SUM(..)` in a title is not a formula), dates are
    dates, amounts are numbers. Plain values pass through as they are: that is what keeps a
    sheet of a few hundred thousand rows fast."""
    if isinstance(value, str):
        if value.startswith(RISKY_START) or ILLEGAL_CHARACTERS_RE.search(value):
            cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
            return cell
        return value
    if isinstance(value, Decimal):
        return float(value)  # Excel stores numbers as doubles; the CSV keeps the exact text
    return value  # numbers, and dates (openpyxl stores those as dates)


def _styled(ws, value) -> Cell:
    cell = cell_for(ws, value)
    return cell if isinstance(cell, Cell) else WriteOnlyCell(ws, value=cell)


# Per workbook: (font, fill, number format) -> the style array they make. Setting a font or a
# fill on a cell hashes the style object each time, which dominated writing a large sheet; the
# key holds the objects themselves so that their ids stay theirs.
_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _style(ws, font, fill, number_format: str | None) -> StyleArray:
    cache = _STYLES.setdefault(ws.parent, {})
    key = (id(font), id(fill), number_format)
    hit = cache.get(key)
    if hit is None:
        cell = WriteOnlyCell(ws)
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        if number_format:
            cell.number_format = number_format
        hit = cache[key] = (font, fill, cell._style)
    return StyleArray(hit[2])


def styled_row(
    ws,
    row: int,
    values: list,
    font=None,
    fill=None,
    formats: dict[int, str] | None = None,
    links: dict[int, str] | None = None,
) -> list[Cell]:
    """Cells for sheet row `row`: one font and fill for all, a number format or a link to
    another sheet per column. Dates without a format are shown as yyyy-mm-dd."""
    cells = []
    for n, value in enumerate(values):
        cell = _styled(ws, value)
        number_format = formats.get(n) if formats else None
        if number_format is None and isinstance(value, dt.date):
            number_format = DATE_FORMAT if not isinstance(value, dt.datetime) else None
        link = links.get(n) if links else None
        if link:
            cell.hyperlink = Hyperlink(ref=f"{get_column_letter(n + 1)}{row}", location=link)
        if font or fill or number_format or link:
            cell._style = _style(ws, LINK if link else font, fill, number_format or _kept(cell))
        cells.append(cell)
    return cells


def _kept(cell) -> str | None:
    """The number format openpyxl gave the cell for its value (a time's), if any."""
    return cell.number_format if cell.has_style else None


def write_workbook(
    con: duckdb.DuckDBPyConnection, path: Path, database: str = "", max_rows: int = MAX_ROWS
) -> Path:
    run = (
        con.execute("SELECT info FROM last_run").fetchone() if has_table(con, "last_run") else None
    )
    if not run:
        raise NoRun("no audit in this database yet: run fba-audit run first")
    info = json.loads(run[0])
    load_policy_tables(con)
    as_of = dt.date.fromisoformat(info["as_of"])
    findings = _findings(con)
    book = Workbook(write_only=True)
    _summary(book, con, info, as_of, findings, database)
    _claims(book, con, findings, as_of, max_rows)
    for rule in RULES:
        _evidence_sheet(book, con, rule, info, max_rows)
    _rules(book)
    _inputs(book, con, info)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _findings(con) -> list[dict]:
    cursor = con.execute('SELECT * FROM last_findings ORDER BY claim_deadline, rule, "key", status')
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _summary(book, con, info, as_of, findings, database) -> None:
    ws = book.create_sheet("Summary")
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
    put(["Seller database", database])
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
    chart.set_categories(Reference(ws, min_col=2, min_row=first_rule_row, max_row=last_rule_row))
    chart.height, chart.width = 9, 22
    ws.add_chart(chart, f"A{put.row + 2}")


CLAIMS_HEADER = [
    "Finding id",
    "Change",
    "Status",
    "Deadline",
    "Days left",
    "Rule",
    "Key",
    "SKU",
    "FNSKU",
    "Order id",
    "Shipment id",
    "Units",
    "Amount",
    "Currency",
    "Valued by",
    "Case text",
    "Case id",
    "Date filed",
    "Outcome",
]


def _claims(book, con, findings, as_of, max_rows) -> None:
    """One row per claimable finding: new this month first, then soonest deadline first."""
    sheet = Sheet(
        book,
        "Claims",
        CLAIMS_HEADER,
        [17, 10, 10, 12, 9, 6, 30, 16, 13, 21, 15, 7, 12, 9, 12, 100, 14, 12, 16],
        max_rows,
    )
    citations = _citations(con)
    filed = _filed(con)
    ready = [f for f in findings if f["status"] in CLAIMABLE]
    for f in sorted(ready, key=lambda f: (f.get("change") != "new", f["claim_deadline"])):
        quoted = citations.get((f["rule"], f["key"], f["bucket"]), [])
        more = f["evidence_rows"] - len(quoted)
        case = (
            f["summary"]
            + " Evidence: "
            + "; ".join(quoted)
            + (f"; and {more} more rows on sheet {f['rule']}." if more > 0 else ".")
        )
        case_id, filed_on, outcome = filed.get(f.get("finding_id"), (None, None, None))
        sheet.append(
            [
                f.get("finding_id"),
                f.get("change"),
                f["status"],
                f["claim_deadline"],
                (f["claim_deadline"] - as_of).days,
                f["rule"],
                f["key"],
                f["sku"],
                f["fnsku"],
                f["order_id"],
                f["shipment_id"],
                f["quantity"],
                f["amount"],
                f["currency"],
                f["valuation"],
                case,
                case_id,
                filed_on,
                outcome,
            ],
            fill=EXPIRING_FILL if f["status"] == "expiring" else None,
            formats={3: DATE_FORMAT, 12: money_format(f["currency"]), 17: DATE_FORMAT},
            links={5: f"'{f['rule']}'!A1"},
        )
    sheet.close()


def _filed(con) -> dict[str, tuple]:
    """What the seller already recorded per finding: (case id, date filed, outcome)."""
    if not has_table(con, "claims"):
        return {}
    return {
        fid: (case_id, filed_on, outcome or state)
        for fid, case_id, filed_on, outcome, state in con.execute(
            "SELECT finding_id, case_id, filed_on, outcome, state FROM claims"
        ).fetchall()
    }


def _citations(con) -> dict[tuple, list[str]]:
    rows = con.execute(
        f"""SELECT e.rule, e."key", e.bucket,
            list(e.report || ' report, ' || f.name || ' line ' || e.line
                 ORDER BY e.report, f.name, e.line)[1:{CASE_TEXT_EVIDENCE}]
        FROM last_evidence e JOIN files f ON f.file_id = e.file_id
        GROUP BY ALL"""
    ).fetchall()
    return {(r, k, b): quoted for r, k, b, quoted in rows}


def _evidence_sheet(book, con, rule, info, max_rows) -> None:
    """The rule's findings, each followed by its evidence rows with their original columns,
    streamed from the database in the Claims order."""
    sheet = Sheet(
        book,
        rule.code,
        ["Finding", "Status", "Report", "File", "Line", "Original columns"],
        [30, 10, 14, 34, 7] + [16] * 20,
        max_rows,
    )
    if rule.code in info["not_run"]:
        sheet.append([f"Not run: needs {', '.join(info['not_run'][rule.code])}"])
    # A finding shows its first EVIDENCE_ROWS rows here; evidence.csv holds them all. They are
    # picked from the pointers before the report lines are joined, so that only they are read.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _shown AS
        SELECT e.*, count(*) OVER (PARTITION BY e."key", e.bucket) AS rows
        FROM last_evidence e JOIN files f ON f.file_id = e.file_id
        WHERE e.rule = $rule
        QUALIFY row_number() OVER (PARTITION BY e."key", e.bucket ORDER BY e.report, f.name, e.line)
                <= {EVIDENCE_ROWS}""",
        {"rule": rule.code},
    )
    evidence = evidence_sql(con, rule.code, pointers="_shown", columns=("rows",))
    cursor = con.execute(
        f"""SELECT f.*, v.report, v.file, v.line, v.original, v.rows
        FROM last_findings f LEFT JOIN ({evidence}) v
          ON v."key" = f."key" AND v.bucket = f.bucket
        WHERE f.rule = $rule
        ORDER BY f.claim_deadline, f."key", f.status, v.report, v.file, v.line""",
        {"rule": rule.code},
    )
    names = [d[0] for d in cursor.description]
    finding = report = None
    total = 0
    while batch := cursor.fetchmany(5_000):
        for values in batch:
            row = dict(zip(names, values, strict=True))
            if (row["key"], row["status"]) != finding:
                _more_rows(sheet, total)
                finding, report = (row["key"], row["status"]), None
                total = row["rows"] or 0
                units = f"{row['quantity']} units" if row["quantity"] else ""
                sheet.append(
                    [row["key"], row["status"], units, row["amount"], None, row["summary"]],
                    font=BOLD,
                    fill=FINDING_FILL,
                    formats={3: money_format(row["currency"])},
                )
            if row["report"] is None:
                continue
            original = json.loads(row["original"])
            columns = [c for c in original if not c.startswith("_")]
            if row["report"] != report:
                report = row["report"]
                sheet.append(["", "", "report", "file", "line", *columns], font=ITALIC)
            sheet.append(
                [
                    row["key"],
                    row["status"],
                    report,
                    row["file"],
                    row["line"],
                    *(_plain(original[c]) for c in columns),
                ]
            )
    _more_rows(sheet, total)
    sheet.close()
    con.execute("DROP TABLE _shown")


def _more_rows(sheet, total: int) -> None:
    """Say how many of a finding's `total` evidence rows the sheet left to evidence.csv."""
    if total > EVIDENCE_ROWS:
        sheet.append(
            ["", "", f"… and {total - EVIDENCE_ROWS:,} more rows of this finding in evidence.csv"],
            font=ITALIC,
        )


_ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d$")


def _plain(value):
    """JSON values back to cell values: dates as dates, numbers as numbers, text as text."""
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return dt.date.fromisoformat(value)
        if _ISO_TIME.match(value):
            return dt.datetime.fromisoformat(value)
    return value


def _rules(book) -> None:
    sheet = Sheet(
        book,
        "Rules",
        ["Code", "Name", "Title", *DOC_SECTIONS],
        [6, 34, 40] + [60] * len(DOC_SECTIONS),
    )
    for rule in RULES:
        sections = _doc_sections(rule.doc)
        sheet.append(
            [rule.code, rule.slug, rule.title, *(sections.get(s, "") for s in DOC_SECTIONS)]
        )
    sheet.close()


def _doc_sections(doc: str) -> dict[str, str]:
    sections, current = {}, None
    for line in doc.splitlines():
        heading = line.strip().rstrip(":")
        if line.endswith(":") and heading in DOC_SECTIONS:
            current = heading
            sections[current] = []
        elif current and line.strip():
            sections[current].append(line.strip())
    return {k: " ".join(v) for k, v in sections.items()}


def _inputs(book, con, info) -> None:
    sheet = Sheet(
        book,
        "Inputs",
        [
            "File",
            "Report",
            "Rows read",
            "New rows",
            "Already present",
            "Set aside",
            "First date",
            "Last date",
            "Encoding",
            "SHA-256",
            "Loaded at",
        ],
        [46, 14, 10, 10, 14, 10, 12, 12, 10, 66, 20],
    )
    for row in con.execute(
        """SELECT name, report, rows_read, rows_new, rows_present, coalesce(rows_set_aside, 0),
            min_date, max_date, encoding, sha256, loaded_at FROM files ORDER BY name"""
    ).fetchall():
        sheet.append(list(row), formats={10: "yyyy-mm-dd hh:mm"})
    refused = con.execute(
        "SELECT name, report, message FROM refused_files ORDER BY name"
    ).fetchall()
    if refused:
        sheet.append([])
        sheet.append(["Refused by the last load (not loaded at all)"], font=BOLD, fill=HEADER_FILL)
        for name, report, message in refused:
            sheet.append([name, report, message])
    aside = con.execute(
        """SELECT f.name, f.report, s._line, s.reason, s."row"
        FROM set_aside s JOIN files f ON f.file_id = s._file_id
        ORDER BY f.name, s._line"""
    ).fetchall()
    if aside:
        sheet.append([])
        sheet.append(
            ["Rows set aside (file loaded without them)", "", "Line", "Why", "Row"],
            font=BOLD,
            fill=HEADER_FILL,
        )
        for row in aside:
            sheet.append(list(row))
    sheet.append([])
    sheet.append(["Applied"] + [""] * 10, font=BOLD, fill=HEADER_FILL)
    for card in info["cards"]:
        sheet.append(["Fee card", card["name"], card["from"], card["to"], card["source"]])
    sheet.append(["Referral schedule", info["referral"]])
    for row in con.execute(
        "SELECT region, rule, anchor, eligible_after_days, deadline_days FROM claim_windows "
        "ORDER BY region, rule"
    ).fetchall():
        sheet.append(["Claim window", *row])
    for note in info["notes"]:
        sheet.append(["Note", note])
    sheet.close()
