"""claims.xlsx read back: sheets, totals that agree with findings.csv, working links, a chart,
report text that stays text, dates that are dates, and long sheets that continue."""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from decimal import Decimal

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from auditor.cli import main
from auditor.store import connect
from auditor.workbook import EVIDENCE_ROWS, cell_for, write_workbook
from rules.registry import RULES
from tests.conftest import SAMPLES
from tests.rules.builders import ago, audit, catalog, ledger, reimbursements

RULE_SHEETS = [r.code for r in RULES]


@pytest.fixture
def sample_run(sample_audit):
    return sample_audit[0]


def findings_csv(folder):
    with open(folder / "findings.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_sheets(sample_run):
    book = load_workbook(sample_run / "claims.xlsx")
    assert book.sheetnames == ["Summary", "Claims", *RULE_SHEETS, "Rules", "Inputs"]


def test_totals_agree_with_claims_sheet_and_findings_csv(sample_run):
    book = load_workbook(sample_run / "claims.xlsx")
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    claims = list(book["Claims"].iter_rows(min_row=2, values_only=True))
    amount = [c.value for c in book["Claims"][1]].index("Amount")
    claimable = [f for f in findings_csv(sample_run) if f["status"] in ("open", "expiring")]
    total_csv = sum(Decimal(f["amount"]) for f in claimable if f["amount"])
    total_sheet = sum(Decimal(str(r[amount])) for r in claims if r[amount] is not None)
    assert Decimal(str(summary["Total claimable now (USD)"])) == total_csv == total_sheet
    assert len(claims) == len(claimable)
    expiring = sum(Decimal(f["amount"]) for f in claimable if f["status"] == "expiring")
    assert Decimal(str(summary["Expiring within 14 days (USD)"])) == expiring


def test_claims_are_soonest_deadline_first_with_case_text(sample_run):
    sheet = load_workbook(sample_run / "claims.xlsx")["Claims"]
    header = [c.value for c in sheet[1]]
    # what the seller fills in comes before the long case text, which ends the row
    assert header[-6:] == [
        "Case id",
        "Date filed",
        "Outcome",
        "Amount reimbursed",
        "Reimbursement id",
        "Case text",
    ]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    deadlines = [r[3] for r in rows]
    valued = [r[header.index("Amount")] is not None for r in rows]
    # claims with an amount first, soonest deadline first; those needing a unit cost last
    assert valued == sorted(valued, reverse=True)
    assert deadlines[: sum(valued)] == sorted(deadlines[: sum(valued)])
    for r in rows:
        assert (r[header.index("Valued by")] == "needs a unit cost") == (
            r[header.index("Amount")] is None
        )
        assert r[header.index("File under")], r
    assert all(isinstance(d, dt.datetime) for d in deadlines)  # a date, not text
    names = [p.name for p in SAMPLES.rglob("*") if p.is_file()]
    for row in rows:
        case = row[header.index("Case text")]
        assert " Evidence: " in case
        # cited by Amazon's own ids, never by a file on the seller's machine
        assert not any(name in case for name in names), case
        fee_claim = row[header.index("Rule")] in ("R01", "R10")
        for column in ("SKU",) if fee_claim else ("Order id", "Shipment id", "FNSKU"):
            value = row[header.index(column)]
            assert value is None or value in case, (column, case)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:W")


def test_claims_sheet_has_the_outcome_list_text_case_ids_wrapped_text_and_prints_wide(
    sample_run,
):
    sheet = load_workbook(sample_run / "claims.xlsx")["Claims"]
    header = [c.value for c in sheet[1]]
    [choices] = sheet.data_validations.dataValidation
    assert choices.type == "list"
    assert choices.formula1 == '"filed,paid,partly paid,denied,withdrawn"'
    outcome = sheet.cell(2, header.index("Outcome") + 1).coordinate
    assert outcome in choices.sqref
    assert sheet.cell(2, header.index("Case id") + 1).number_format == "@"
    assert sheet.cell(2, header.index("Case text") + 1).alignment.wrap_text
    book = load_workbook(sample_run / "claims.xlsx")
    for name in ("Summary", "Claims", "R02", "Inputs"):
        ws = book[name]
        if name != "Summary":
            assert ws.page_setup.orientation == "landscape", name
            assert ws.print_title_rows == "$1:$1", name
            assert ws.sheet_properties.pageSetUpPr.fitToPage, name


def test_links_resolve_and_the_chart_exists(sample_run):
    path = sample_run / "claims.xlsx"
    book = load_workbook(path)
    links = [
        cell.hyperlink.location
        for row in book["Summary"].iter_rows()
        for cell in row
        if cell.hyperlink
    ]
    assert len(links) == len(RULE_SHEETS) + 1
    for location in links:
        sheet, _, cell = location.partition("!")
        assert sheet.strip("'") in book.sheetnames and cell == "A1"
    names = zipfile.ZipFile(path).namelist()
    assert "xl/charts/chart1.xml" in names
    assert b"Claimable amount by rule" in zipfile.ZipFile(path).read("xl/charts/chart1.xml")


def test_evidence_sheets_cite_file_and_line(sample_run):
    sheet = load_workbook(sample_run / "claims.xlsx")["R02"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    cited = [r for r in rows if r[3] == "ledger" and isinstance(r[5], int)]
    assert cited and all(r[4].startswith("ledger/") for r in cited)


def test_a_rule_sheet_shows_the_rows_the_case_text_quotes_and_says_where_the_rest_are(sample_run):
    """A fee claim rests on hundreds of order lines: its rule's sheet shows the first
    EVIDENCE_ROWS of them (in evidence.csv's order, as its case text quotes them), then one line
    with how many more there are and where; an expired finding has no case file to point to."""
    with open(sample_run / "evidence.csv", encoding="utf-8") as f:
        evidence = list(csv.DictReader(f))
    status = {f["finding_id"]: f["status"] for f in findings_csv(sample_run)}
    rows = list(load_workbook(sample_run / "claims.xlsx")["R01"].iter_rows(values_only=True))
    long = {e["finding_id"] for e in evidence if e["rule"] == "R01"}
    checked = set()
    for finding_id in long:
        pointers = [e for e in evidence if e["finding_id"] == finding_id]
        if len(pointers) <= EVIDENCE_ROWS:
            continue
        start = next(n for n, r in enumerate(rows) if r[0] == finding_id and r[3] != "settlement")
        shown = [r for r in rows[start + 1 :] if r[0] == finding_id and isinstance(r[5], int)]
        assert [(r[3], r[4], r[5]) for r in shown] == [
            (e["report"], e["file"], int(e["line"])) for e in pointers[:EVIDENCE_ROWS]
        ]
        after = rows[rows.index(shown[-1]) + 1][3]
        more = f"… and {len(pointers) - EVIDENCE_ROWS:,} more rows of this finding: "
        if status[finding_id] in ("open", "expiring"):
            assert (
                after == more + f"in full in cases/{finding_id}.csv, and each one's file "
                "and line in evidence.csv"
            )
        else:
            assert after == more + "each one's file and line in evidence.csv"
        checked.add(status[finding_id])
    assert checked == {"expiring", "expired"}


def test_report_text_is_never_a_formula(tmp_path):
    hostile = '=HYPERLINK("http://evil","click")'
    files = {
        "ledger": ledger({"date": ago(20), "qty": -1, "reason": "M", "ref": "+SUM(A1:A9)"}).replace(
            '"Mug"', '"' + hostile.replace('"', '""') + '"'
        ),
        "reimbursements": reimbursements(),
        "catalog": catalog({"cost": "3.00"}),
    }
    assert audit(tmp_path / "r", files, "R02")
    con = connect(tmp_path / "r" / "seller.duckdb")
    write_workbook(con, tmp_path / "claims.xlsx")
    con.close()
    book = load_workbook(tmp_path / "claims.xlsx")
    cells = [c for row in book["R02"].iter_rows() for c in row if isinstance(c.value, str)]
    titles = [c for c in cells if c.value == hostile]
    refs = [c for c in cells if c.value == "+SUM(A1:A9)"]
    assert titles and refs
    assert all(c.data_type == "s" for c in titles + refs)
    with zipfile.ZipFile(tmp_path / "claims.xlsx") as z:
        formulas = [
            f
            for n in z.namelist()
            if n.startswith("xl/worksheets")
            for f in re.findall(rb"<f>(.*?)</f>", z.read(n))
        ]
    # the only formulas are the Claims sheet's own days left, one per claim
    assert formulas == [b"D2-TODAY()"]


def test_a_sheet_past_the_row_limit_continues(tmp_path):
    files = {
        "ledger": ledger(
            *(
                {"date": ago(20), "qty": -1, "reason": "M", "ref": f"R{n}", "fnsku": f"X{n}"}
                for n in range(30)
            )
        ),
        "reimbursements": reimbursements(),
        "catalog": catalog({"cost": "3.00"}),
    }
    assert len(audit(tmp_path / "r", files, "R02")) == 30
    con = connect(tmp_path / "r" / "seller.duckdb")
    write_workbook(con, tmp_path / "claims.xlsx", max_rows=25)
    con.close()
    book = load_workbook(tmp_path / "claims.xlsx")
    # 30 findings x (header, finding, report header, evidence row) - the first header = 119
    # rows, 24 to a sheet under its own header: 5 sheets.
    names = [n for n in book.sheetnames if n.split(" ")[0] == "R02"]
    assert names == ["R02", "R02 (2)", "R02 (3)", "R02 (4)", "R02 (5)"]
    parts = [book[n] for n in names]
    assert all(p.max_row <= 25 for p in parts)
    assert all(p["A1"].value == "Finding id" for p in parts)
    keys = [
        r[1]
        for p in parts
        for r in p.iter_rows(min_row=2, values_only=True)
        if r[1] and r[3] == "ledger"
    ]
    assert sorted(keys) == sorted(f"X{n}" for n in range(30))  # nothing lost


def test_workbook_command_rewrites_it_from_the_last_run(sample_run, tmp_path):
    out = tmp_path / "again"
    result = CliRunner().invoke(
        main, ["workbook", "--db", str(sample_run / "s.duckdb"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    first = load_workbook(sample_run / "claims.xlsx")["Claims"]
    again = load_workbook(out / "claims.xlsx")["Claims"]
    # the evidence beside it, as run writes it
    assert (out / "evidence.csv").read_bytes() == (sample_run / "evidence.csv").read_bytes()
    assert sorted(p.name for p in (out / "cases").iterdir()) == sorted(
        p.name for p in (sample_run / "cases").iterdir()
    )
    assert [r for r in first.iter_rows(values_only=True)] == [
        r for r in again.iter_rows(values_only=True)
    ]


def test_workbook_without_a_run_is_a_clear_error(tmp_path):
    connect(tmp_path / "empty.duckdb").close()
    result = CliRunner().invoke(main, ["workbook", "--db", str(tmp_path / "empty.duckdb")])
    assert result.exit_code == 1
    assert "no audit in this database yet: run fba-audit run first" in result.output


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "dde"],
)
def test_risky_report_text_is_written_as_text(tmp_path, text):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("S")
    sheet.append([cell_for(sheet, text), cell_for(sheet, "plain"), cell_for(sheet, 3)])
    book.save(tmp_path / "t.xlsx")
    cells = next(load_workbook(tmp_path / "t.xlsx")["S"].iter_rows())
    assert (cells[0].value, cells[0].data_type) == (text, "s")
    assert (cells[1].value, cells[2].value) == ("plain", 3)
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_summary_counts_pending_and_lost_money_and_names_the_rules_on_its_chart(sample_run):
    book = load_workbook(sample_run / "claims.xlsx")
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    found = findings_csv(sample_run)
    for status, label in (("pending", "Pending: claimable later"), ("expired", "Expired: lost")):
        expected = sum(Decimal(f["amount"]) for f in found if f["status"] == status and f["amount"])
        assert Decimal(str(summary[f"{label} (USD)"])) == expected
    assert "Seller database" not in summary
    [chart] = book["Summary"]._charts
    assert "$A$" in (chart.series[0].cat.strRef or chart.series[0].cat.numRef).f


def test_each_claim_row_is_tall_enough_for_its_wrapped_case_text(sample_run):
    sheet = load_workbook(sample_run / "claims.xlsx")["Claims"]
    header = [c.value for c in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        case = sheet.cell(row, header.index("Case text") + 1).value
        lines = -(-len(case) // 85)
        assert sheet.row_dimensions[row].height >= 13 * lines, row


def test_inputs_lists_the_windows_of_the_sellers_marketplaces_in_a_table_of_their_own(
    sample_run,
):
    rows = list(load_workbook(sample_run / "claims.xlsx")["Inputs"].iter_rows(values_only=True))
    start = next(n for n, r in enumerate(rows) if r[0] == "Claim windows")
    assert rows[start][1:7] == (
        "Marketplace",
        "Rule",
        "From the",
        "Claimable after (days)",
        "Deadline (days)",
        "In force from",
    )
    windows = []
    for r in rows[start + 1 :]:
        if not any(r):
            break
        windows.append(r)
    # a US seller sees the US windows, every rule's, and no European ones
    assert {r[1] for r in windows} == {"US"}
    assert {r[2] for r in windows} >= {f"R{n:02d}" for n in range(1, 11)}
