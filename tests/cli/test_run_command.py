"""`fba-audit run` on partial inputs, and the optional JSON/Parquet exports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import duckdb
from click.testing import CliRunner

from auditor.cli import main
from auditor.store import connect
from rules.registry import RULES
from tests.conftest import INPUTS, SAMPLES


def test_a_rule_whose_reports_are_missing_says_what_it_needs(tmp_path):
    shutil.copy(INPUTS / "returns_cp1252.txt", tmp_path / "returns.txt")
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(tmp_path),
            "--as-of",
            "2026-10-01",
            "--db",
            str(tmp_path / "s.duckdb"),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    rule_rows = [line for line in result.output.splitlines() if line.startswith("│ R")]
    assert [row.split()[1] for row in rule_rows] == [r.code for r in RULES]
    assert all("not run: needs" in row for row in rule_rows)
    assert (tmp_path / "findings.csv").read_text().count("\n") == 1  # the header alone


def test_running_out_of_memory_is_one_line_saying_what_to_do(tmp_path, monkeypatch):
    def out_of_memory(con, path):
        raise duckdb.OutOfMemoryException(
            "Out of Memory Error: could not allocate block of size 256.0 KiB (1.0 GiB/1.0 GiB used)"
        )

    monkeypatch.setattr("auditor.cli.running.write_evidence", out_of_memory)
    args = ["run", str(SAMPLES), "--as-of", "2026-01-15", "--db", str(tmp_path / "s.duckdb")]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: out of memory: Out of Memory Error: could not allocate block")
    assert "FBA_AUDIT_MEMORY_LIMIT" in last
    assert "Traceback" not in result.output


def test_memory_limit_can_be_raised_and_a_wrong_one_is_named(tmp_path):
    connect(tmp_path / "s.duckdb").close()  # history reads an existing database

    def run(limit):
        return subprocess.run(
            [sys.executable, "-c", "from auditor.cli import main; main()", "history"]
            + ["--db", str(tmp_path / "s.duckdb")],
            env={**os.environ, "FBA_AUDIT_MEMORY_LIMIT": limit},
            capture_output=True,
            text=True,
        )

    wrong = run("lots")
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == (
        "Error: FBA_AUDIT_MEMORY_LIMIT='lots' is not a memory size; set it like 4GiB, or unset it"
    )
    script = (
        "from auditor.store import connect; import sys; con = connect(sys.argv[1]); "
        "print(con.execute(\"SELECT current_setting('memory_limit')\").fetchone()[0])"
    )
    raised = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "t.duckdb")],
        env={**os.environ, "FBA_AUDIT_MEMORY_LIMIT": "3GiB"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert raised.stdout.strip() == "3.0 GiB"
