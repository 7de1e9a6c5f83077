"""A run killed half-way leaves the database as it was; running again gives exactly the
result of one clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from auditor.samples import AS_OF
from auditor.store import connect, recover
from tests.conftest import SAMPLES


def fba_audit(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from auditor.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def counts(db) -> dict:
    con = connect(db)
    try:
        recover(con)
        tables = ["files", "settlements", "raw_ledger", "raw_settlement", "raw_returns"]
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def test_killed_run_is_undone_and_a_rerun_matches_a_clean_run(tmp_path):
    db, out = tmp_path / "s.duckdb", tmp_path / "out"
    args = ["run", str(SAMPLES), "--as-of", str(AS_OF), "--db", str(db), "--out", str(out)]
    before = counts(db)  # a new, empty database

    process = fba_audit(*args, FBA_AUDIT_PAUSE_AFTER_FILES="10")
    assert process.stderr.readline().strip() == "paused after 10 files"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    assert counts(db) == before  # the ten files it loaded are gone again

    rerun = fba_audit(*args)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert (out / "findings.csv").read_bytes() == (SAMPLES / "expected_findings.csv").read_bytes()
    con = connect(db)
    try:
        loaded = con.execute("SELECT count(*), sum(rows_new) FROM files").fetchone()
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()
    assert loaded == (38, 33666 - 423)  # every file once; the ledger overlap counted once
    assert runs == 1


def test_the_open_database_refuses_a_second_run(tmp_path):
    db = tmp_path / "s.duckdb"
    args = ["run", str(SAMPLES), "--as-of", str(AS_OF), "--db", str(db), "--out", str(tmp_path)]
    first = fba_audit(*args, FBA_AUDIT_PAUSE_AFTER_FILES="3")
    try:
        assert first.stderr.readline().strip() == "paused after 3 files"
        second = fba_audit(*args)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "database in use by another fba-audit run" in err
    finally:
        first.kill()
        first.wait()
