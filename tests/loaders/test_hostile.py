"""The hostile corpus (tests/inputs/hostile): each file next to good ones. A broken file is one
line naming the line and what to do; the good files load; the database holds what it held plus
the good files; rows kept out of a loaded file are counted and listed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from auditor.cli import main
from auditor.store import REPORTS, connect
from tests.conftest import INPUTS, load, value

HOSTILE = INPUTS / "hostile"
GOOD = ("removals.txt", "reimbursements_web_download.csv")

# file -> (status, message start, words in the message)
REFUSED = {
    "truncated_last_line.txt": ("error", "line 5: ", "cut short"),
    "too_many_columns.txt": ("error", "line 3: ", "expected 13 columns, found 14"),
    "too_few_columns.txt": ("error", "line 4: ", "expected 13 columns, found 5"),
    "garbage_inside_report.txt": ("error", "line 3: ", "binary data"),
    "settlement_mixed_currencies.txt": ("error", "line 5: ", "currency CAD in settlement"),
    "binary_garbage.txt": ("unknown", "not a report", "reads"),
    "empty.txt": ("unknown", "empty file", "file"),
}


def tables(con) -> dict[str, list[tuple]]:
    """Every report table's rows, without the file ids that differ between databases."""
    return {
        r.table: con.execute(f"SELECT * EXCLUDE (_file_id) FROM {r.table} ORDER BY ALL").fetchall()
        for r in REPORTS
    }


def good_only(tmp_path: Path) -> dict[str, list[tuple]]:
    folder = tmp_path / "good"
    for name in GOOD:
        folder.mkdir(exist_ok=True)
        shutil.copy(INPUTS / name, folder / name)
    con = connect(tmp_path / "good.duckdb")
    load(con, folder)
    rows = tables(con)
    con.close()
    return rows


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_refused_file_leaves_the_database_as_it_was_plus_the_good_files(db, tmp_path, name):
    status, start, words = REFUSED[name]
    folder = tmp_path / "downloads"
    folder.mkdir()
    for good in GOOD:
        shutil.copy(INPUTS / good, folder / good)
    shutil.copy(HOSTILE / name, folder / name)
    results = load(db, folder)
    result = results[name]
    assert result.status == status
    assert result.message.startswith(start) and words in result.message
    assert "\n" not in result.message
    if status == "error":
        assert "again" in result.message or "remove" in result.message  # what to do
        refused = db.execute("SELECT message FROM refused_files WHERE name = ?", [name])
        assert refused.fetchall() == [(result.message,)]
    assert all(results[g].status == "loaded" for g in GOOD)
    assert tables(db) == good_only(tmp_path)


def test_a_refused_file_is_named_on_one_line_and_listed_in_the_inputs_sheet(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(HOSTILE / "truncated_last_line.txt", folder / "returns.txt")
    shutil.copy(HOSTILE / "negative_quantities.txt", folder / "returns-2.txt")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", str(folder), "--db", str(tmp_path / "s.duckdb"), "--out", str(out)]
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error ")]
    assert errors == [
        "error returns.txt: line 5: expected 13 columns, found 3 — the row is cut short, was "
        "the download interrupted? Download the report again (file not loaded)"
    ]
    assert "not loaded: 1 files refused, 1 rows set aside" in result.stderr
    sheet = load_workbook(out / "claims.xlsx")["Inputs"]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    loaded = next(r for r in rows if r[0] == "returns-2.txt")
    assert loaded[2:6] == (3, 2, 0, 1)  # read, new, present, set aside
    refused = rows.index(("Refused by the last load (not loaded at all)",) + (None,) * 10)
    message = errors[0].removeprefix("error returns.txt: ")
    assert rows[refused + 1][:3] == ("returns.txt", "returns", message)
    aside = [r for r in rows if r[0] == "returns-2.txt" and isinstance(r[3], str)]
    assert [r[2] for r in aside] == [3]
    assert aside and aside[0][3] == "quantity is negative, which this report never is"
    assert '"license_plate_number":"LPN2"' in aside[0][4]


def test_negative_counts_are_set_aside_and_the_rest_loads(db, tmp_path):
    shutil.copy(HOSTILE / "negative_quantities.txt", tmp_path / "r.txt")
    (result,) = load(db, tmp_path).values()
    assert (result.status, result.rows_read, result.rows_new, result.rows_set_aside) == (
        "loaded",
        3,
        2,
        1,
    )
    assert result.message.startswith("1 row set aside, not loaded: line 3: quantity is negative")
    assert db.execute("SELECT license_plate_number FROM returns ORDER BY 1").fetchall() == [
        ("LPN1",),
        ("LPN3",),
    ]
    assert db.execute("SELECT _line, reason FROM set_aside").fetchall() == [
        (3, "quantity is negative, which this report never is")
    ]
    # Loading it again changes nothing and still counts the row.
    (again,) = load(db, tmp_path).values()
    assert (again.status, again.rows_set_aside) == ("present", 1)
    assert value(db, "SELECT count(*) FROM set_aside") == 1


def test_a_date_that_has_not_happened_is_set_aside(db, tmp_path):
    shutil.copy(HOSTILE / "future_dates_ledger.txt", tmp_path / "l.txt")
    (result,) = load(db, tmp_path).values()
    assert (result.rows_new, result.rows_set_aside) == (2, 1)
    assert "line 3: date 2099-07-06 is in the future" in result.message
    assert value(db, "SELECT max(date) FROM ledger").isoformat() == "2026-07-07"


def test_a_file_resaved_by_excel_loads_as_written(db, tmp_path):
    """BOM, CRLF, commas, m/d/yyyy dates, "1,200", and a SKU whose leading zeros Excel dropped:
    the SKU is kept as the file says (123), never padded by guess."""
    shutil.copy(HOSTILE / "excel_resaved_ledger.csv", tmp_path / "ledger.csv")
    (result,) = load(db, tmp_path).values()
    assert (result.status, result.rows_new) == ("loaded", 2)
    rows = db.execute(
        "SELECT date, msku, title, reference_id, quantity FROM ledger ORDER BY date"
    ).fetchall()
    assert [(str(d), *rest) for d, *rest in rows] == [
        ("2026-07-06", "123", "Mug, 12 oz", "1786027", 1200),
        ("2026-07-13", "123", "Mug, 12 oz", "1786028", -2),
    ]


def test_utf16_loads(db, tmp_path):
    shutil.copy(HOSTILE / "utf16_reimbursements.txt", tmp_path / "r.txt")
    (result,) = load(db, tmp_path).values()
    assert (result.status, result.rows_new) == ("loaded", 3)
    assert value(db, "SELECT any_value(product_name) FROM reimbursements") == 'Sofa, 3 seat, "grey"'
    assert str(value(db, "SELECT max(amount_total) FROM reimbursements")) == "1052.6400"


def test_duplicate_settlement_id_with_other_content_is_refused(db, tmp_path):
    for name in ("settlement_dup_a.txt", "settlement_dup_b_changed.txt"):
        shutil.copy(HOSTILE / name, tmp_path / name)
    results = load(db, tmp_path)
    assert results["settlement_dup_a.txt"].status == "loaded"
    changed = results["settlement_dup_b_changed.txt"]
    assert changed.status == "error"
    assert changed.message.startswith(
        "settlement 7700000003 is already loaded from settlement_dup_a.txt with different rows"
    )
    assert str(value(db, "SELECT sum(amount) FROM settlement_lines")) == "17.0000"


def test_nested_zip_with_climbing_names_stays_inside(db, tmp_path):
    folder = tmp_path / "a" / "b" / "downloads"
    folder.mkdir(parents=True)
    shutil.copy(HOSTILE / "nested_escape.zip", folder / "everything.zip")
    results = load(db, folder)
    assert sorted(results) == [
        "everything.zip!../../outside-returns.txt",
        "everything.zip!/abs/returns-abs.txt",
        "everything.zip!inner.zip!../../x/escaped-returns.txt",
        "everything.zip!inner.zip!deeper/returns.txt",
    ]
    assert {r.status for r in results.values()} == {"loaded"}
    assert value(db, "SELECT count(*) FROM returns") == 4
    written = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert written <= {"everything.zip", "seller.duckdb", "seller.duckdb.wal"}
    assert not (tmp_path / "a" / "outside-returns.txt").exists()
    assert not Path("/abs").exists()


def test_a_marketplace_without_rate_data_is_loaded_and_said_unchecked(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(HOSTILE / "settlement_jpy.txt", folder / "jp.txt")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(folder),
            "--db",
            str(tmp_path / "s.duckdb"),
            "--out",
            str(out),
            "--as-of",
            "2026-08-01",
        ],
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "R10: 1 order lines of JP posted 2026-07-02 to 2026-07-02 not checked" in text
    assert "R01: 1 order lines posted 2026-07-02 to 2026-07-02 not checked" in text
    assert "claim windows: no region for JPY" in text
    assert (out / "findings.csv").read_text().count("\n") == 1  # the header only
