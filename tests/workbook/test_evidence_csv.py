"""evidence.csv: where every evidence row of every finding is, in the workbook's order."""

from __future__ import annotations

import csv
import hashlib

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.findings import write_evidence
from auditor.store import connect
from tests.conftest import SAMPLES
from tests.rules.builders import ago, catalog, ledger, reimbursements


def rows_of(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def sample_db(sample_audit):
    con = connect(sample_audit[0] / "s.duckdb")
    yield con
    con.close()


def test_every_pointer_once_in_finding_order(sample_audit, sample_db):
    out = sample_audit[0]
    rows = rows_of(out / "evidence.csv")
    (pointers,) = sample_db.execute("SELECT count(*) FROM last_evidence").fetchone()
    assert len(rows) == pointers
    deadline = dict(
        sample_db.execute("SELECT finding_id, claim_deadline FROM last_findings").fetchall()
    )
    assert {r["finding_id"] for r in rows} == set(deadline)
    order = [
        (r["rule"], deadline[r["finding_id"]], r["key"], r["report"], r["file"], int(r["line"]))
        for r in rows
    ]
    assert order == sorted(order)
    # Each pointer names a data line of the report file it gives the hash of; for most rules
    # that line holds the finding's key (a SKU, FNSKU, order id or shipment id of it).
    holding = 0
    for r in rows:
        path = SAMPLES / r["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == r["file_sha256"]
        lines = path.read_text(encoding="utf-8").splitlines()
        assert 2 <= int(r["line"]) <= len(lines)
        holding += any(part in lines[int(r["line"]) - 1] for part in r["key"].split("/"))
    assert holding > 0.9 * len(rows)


def test_written_again_it_is_the_same_file(sample_audit, sample_db, tmp_path):
    write_evidence(sample_db, tmp_path / "evidence.csv")
    assert (tmp_path / "evidence.csv").read_bytes() == (
        sample_audit[0] / "evidence.csv"
    ).read_bytes()


def test_no_findings_is_a_header(sample_db, tmp_path):
    sample_db.execute("BEGIN TRANSACTION")
    try:
        sample_db.execute("DELETE FROM last_evidence")
        write_evidence(sample_db, tmp_path / "evidence.csv")
    finally:
        sample_db.execute("ROLLBACK")
    assert (tmp_path / "evidence.csv").read_text(encoding="utf-8") == (
        "finding_id,rule,key,report,file,line,file_sha256\n"
    )


def test_rows_of_two_downloads_saved_under_one_name_are_listed_in_the_order_they_were_loaded(
    tmp_path,
):
    # A seller downloads the ledger again into the same file name a month later: both downloads
    # stay loaded, and a finding's rows can sit on the same line of two files of one name. They
    # are listed oldest download first, the same way in evidence.csv, the sheet and the case file.
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "catalog.txt").write_text(catalog({"cost": "8.40"}), encoding="utf-8")
    (reports / "reimbursements.txt").write_text(reimbursements(), encoding="utf-8")
    db, out = tmp_path / "s.duckdb", tmp_path / "out"
    hashes = []
    for when, ref in ((ago(40), "REF1"), (ago(20), "REF2")):
        text = ledger({"date": when, "qty": -1, "reason": "M", "ref": ref})
        (reports / "ledger.txt").write_text(text, encoding="utf-8")
        hashes.append(hashlib.sha256(text.encode()).hexdigest())
        args = ["run", str(reports), "--as-of", "2026-01-15", "--db", str(db), "--out", str(out)]
        result = CliRunner().invoke(main, [*args, "--quiet"])
        assert result.exit_code == 0, result.output
    rows = [r for r in rows_of(out / "evidence.csv") if r["rule"] == "R02"]
    assert [(r["key"], r["file"], r["line"], r["file_sha256"]) for r in rows] == [
        ("X1", "ledger.txt", "2", hashes[0]),
        ("X1", "ledger.txt", "2", hashes[1]),
    ]
    (case,) = (out / "cases").glob(f"{rows[0]['finding_id']}*")
    cited = [line for line in case.read_text(encoding="utf-8").splitlines() if "ledger" in line]
    assert [("REF1" in line, "REF2" in line) for line in cited] == [(True, False), (False, True)]
