"""evidence.csv: every evidence row of every finding, in the workbook's order, the same however
many parts it is sorted in."""

from __future__ import annotations

import csv
import json

import pytest

from auditor import findings as findings_module
from auditor.findings import write_evidence
from auditor.store import connect


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
    # Each row is the report line it points at, as loaded.
    assert all(json.loads(r["original"])["_line"] == int(r["line"]) for r in rows)


def test_sorted_in_parts_it_is_the_same_file(sample_audit, sample_db, tmp_path, monkeypatch):
    whole = (sample_audit[0] / "evidence.csv").read_bytes()
    monkeypatch.setattr(findings_module, "EVIDENCE_PART_ROWS", 7)
    write_evidence(sample_db, tmp_path / "evidence.csv")
    assert (tmp_path / "evidence.csv").read_bytes() == whole
    assert len(whole.splitlines()) > 7 * 3  # several parts were written
    assert [p.name for p in tmp_path.iterdir()] == ["evidence.csv"]  # no parts left behind


def test_no_findings_is_a_header(sample_db, tmp_path):
    sample_db.execute("BEGIN TRANSACTION")
    try:
        sample_db.execute("DELETE FROM last_evidence")
        write_evidence(sample_db, tmp_path / "evidence.csv")
    finally:
        sample_db.execute("ROLLBACK")
    assert (tmp_path / "evidence.csv").read_text(encoding="utf-8") == (
        "finding_id,rule,key,report,file,line,original\n"
    )
