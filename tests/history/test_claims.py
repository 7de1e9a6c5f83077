"""Claims a seller files: read back from the workbook, paid when the reimbursement arrives,
flagged when unpaid after 30 days, and counted in the history."""

from __future__ import annotations

import shutil
from decimal import Decimal

from click.testing import CliRunner
from openpyxl import load_workbook

from auditor.cli import main
from auditor.history import finding_id
from auditor.store import connect
from tests.conftest import SAMPLES
from tests.rules.builders import reimbursements

SHORT = "FBA15HKSH0RT/X0017SPK22"
TOWEL = "X0005HMK35"


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result


def test_filed_claims_are_paid_followed_up_and_counted(tmp_path):
    reports, db, out = tmp_path / "reports", tmp_path / "s.duckdb", tmp_path / "out"
    shutil.copytree(SAMPLES, reports)
    assert cli("run", reports, "--as-of", "2026-01-15", "--db", db, "--out", out).exit_code == 0

    # The seller works down the Claims sheet and fills in what they filed.
    book = load_workbook(out / "claims.xlsx")
    sheet = book["Claims"]
    header = [c.value for c in sheet[1]]
    column = {
        name: header.index(name) + 1
        for name in ("Finding id", "Key", "Case id", "Date filed", "Outcome")
    }
    filled = {
        SHORT: ("17700000001", "2026-01-16", None),
        TOWEL: ("17700000002", "2026-01-16", None),
    }
    for row in range(2, sheet.max_row + 1):
        key = sheet.cell(row, column["Key"]).value
        if key in filled:
            case_id, filed_on, outcome = filled[key]
            sheet.cell(row, column["Case id"]).value = case_id
            sheet.cell(row, column["Date filed"]).value = filed_on
    book.save(tmp_path / "filled.xlsx")
    result = cli("claims", "import", tmp_path / "filled.xlsx", "--db", db)
    assert result.output.strip() == f"recorded 2 claims from {tmp_path / 'filled.xlsx'}"
    short_id = finding_id("R04", SHORT, "claimable")
    assert (
        cli(
            "claims",
            "mark",
            finding_id("R06", "119-5390011-8033932", "claimable"),
            "--denied",
            "--db",
            db,
        ).exit_code
        == 0
    )

    # Amazon pays the shortage case; the towel claim stays unpaid.
    (reports / "reimbursements-late.txt").write_text(
        reimbursements(
            {
                "date": "2026-01-20",
                "reason": "Lost_Inbound",
                "id": "5550001",
                "case_id": "17700000001",
                "order_id": "FBA15HKSH0RT",
                "fnsku": "X0017SPK22",
                "sku": "SP-YOGA-MAT",
                "cash": 3,
                "per_unit": "7.90",
            }
        )
    )
    assert cli("run", reports, "--as-of", "2026-01-25", "--db", db, "--out", out).exit_code == 0
    later = cli("run", reports, "--as-of", "2026-02-20", "--db", db, "--out", out)
    towel_id = finding_id("R02", TOWEL, "claimable")
    assert (
        f"follow up: {towel_id} (case 17700000002) filed on 2026-01-16 is still unpaid"
        in later.output
    )

    con = connect(db)
    try:
        claims = {
            row[0]: row[1:]
            for row in con.execute(
                "SELECT finding_id, state, recovered, reimbursement_ids FROM claims"
            ).fetchall()
        }
    finally:
        con.close()
    assert claims[short_id][0] == "paid"
    assert str(claims[short_id][1]) == "23.70" and claims[short_id][2] == ["5550001"]
    assert claims[towel_id][0] == "filed"
    assert claims[finding_id("R06", "119-5390011-8033932", "claimable")][0] == "denied"

    history = cli("history", "--db", db)
    assert history.exit_code == 0
    r04 = next(line for line in history.output.splitlines() if line.startswith("│ R04"))
    assert [c.strip() for c in r04.split("│")[2:5]] == ["23.70", "23.70", "100.0%"]
    assert "recovered to date: 23.70" in history.output


def test_an_unedited_workbook_imports_nothing_and_a_file_that_is_not_one_is_one_line(tmp_path):
    reports, db, out = tmp_path / "reports", tmp_path / "s.duckdb", tmp_path / "out"
    shutil.copytree(SAMPLES, reports)
    assert cli("run", reports, "--as-of", "2026-01-15", "--db", db, "--out", out).exit_code == 0
    result = CliRunner().invoke(
        main, ["claims", "import", str(out / "claims.xlsx"), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    for name, content in (("notes.txt", b"hello"), ("empty.xlsx", b""), ("text.xlsx", b"a,b\n")):
        (tmp_path / name).write_bytes(content)
        result = CliRunner().invoke(
            main, ["claims", "import", str(tmp_path / name), "--db", str(db)]
        )
        assert result.exit_code == 1, result.output
        assert "not a claims workbook with a Claims sheet" in result.output
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_what_the_seller_typed_survives_the_next_run(tmp_path):
    reports, db, out = tmp_path / "reports", tmp_path / "s.duckdb", tmp_path / "out"
    shutil.copytree(SAMPLES, reports)
    run = ("run", reports, "--as-of", "2026-01-15", "--db", db, "--out", out)
    assert cli(*run).exit_code == 0
    book = load_workbook(out / "claims.xlsx")
    sheet = book["Claims"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value)
    fid = sheet.cell(row, 1).value
    sheet.cell(row, header.index("Case id") + 1, "17712345678")
    sheet.cell(row, header.index("Outcome") + 1, "partly paid")
    sheet.cell(row, header.index("Amount reimbursed") + 1, 12.5)
    sheet.cell(row, header.index("Reimbursement id") + 1, "2987654321")
    book.save(out / "claims.xlsx")

    again = cli(*run)
    assert again.exit_code == 0, again.output
    assert f"recorded 1 claims typed in {out / 'claims.xlsx'}" in again.output
    sheet = load_workbook(out / "claims.xlsx")["Claims"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]}
    assert rows[fid][header.index("Case id")] == "17712345678"
    assert rows[fid][header.index("Outcome")] == "partly paid"
    assert rows[fid][header.index("Amount reimbursed")] == 12.5
    assert rows[fid][header.index("Reimbursement id")] == "2987654321"
    con = connect(db, read_only=True)
    assert con.execute(
        "SELECT state, recovered, reimbursement_ids FROM claims WHERE finding_id = ?", [fid]
    ).fetchone() == ("paid", Decimal("12.50"), ["2987654321"])
    con.close()


def test_a_workbook_of_another_database_is_not_written_over(tmp_path):
    reports, out = tmp_path / "reports", tmp_path / "out"
    shutil.copytree(SAMPLES, reports)
    first = ("run", reports, "--as-of", "2026-01-15", "--db", tmp_path / "a.duckdb", "--out", out)
    assert cli(*first).exit_code == 0
    book = load_workbook(out / "claims.xlsx")
    sheet = book["Claims"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, 1, "R99-0000000000")
    sheet.cell(2, header.index("Case id") + 1, "17712345678")
    book.save(out / "claims.xlsx")
    before = (out / "claims.xlsx").read_bytes()
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(reports),
            "--as-of",
            "2026-01-15",
            "--db",
            str(tmp_path / "b.duckdb"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "no finding R99-0000000000 in this database" in result.output
    assert "would be written over, losing what was typed in it" in result.output
    assert (out / "claims.xlsx").read_bytes() == before
