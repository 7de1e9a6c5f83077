"""`fba-audit ingest` end to end through click."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from auditor.cli import main
from tests.conftest import INPUTS


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_ingest_prints_a_summary_and_is_idempotent(tmp_path):
    for name in ("removals.txt", "returns_cp1252.txt", "date_range_us.csv"):
        shutil.copy(INPUTS / name, tmp_path / name)
    db = str(tmp_path / "s.duckdb")
    first = run("ingest", str(tmp_path), "--db", db)
    assert first.exit_code == 0, first.output
    rows = [line.split("│")[1:-1] for line in first.output.splitlines() if line.startswith("│")]
    cells = {r[0].strip(): [c.strip() for c in r[1:4]] for r in rows if r[0].strip()}
    assert cells == {
        "returns": ["1", "2", "0"],
        "removals": ["1", "1", "0"],
        "transactions": ["1", "2", "0"],
    }
    second = run("ingest", str(tmp_path), "--db", db)
    rows = [line.split("│")[1:-1] for line in second.output.splitlines() if line.startswith("│")]
    cells = {r[0].strip(): [c.strip() for c in r[1:4]] for r in rows if r[0].strip()}
    assert cells["returns"] == ["1", "0", "2"]


def test_a_bad_file_is_one_line_and_exit_code_1(tmp_path):
    shutil.copy(INPUTS / "removals.txt", tmp_path / "removals.txt")
    (tmp_path / "cut.txt").write_text(
        (INPUTS / "removals.txt").read_text().rsplit("\t", 3)[0] + "\n"
    )
    result = run("ingest", str(tmp_path), "--db", str(tmp_path / "s.duckdb"))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error")]
    assert errors == [
        "error cut.txt: line 2: expected 16 columns, found 13 — the row is cut short, was the "
        "download interrupted? Download the report again (file not loaded)"
    ]
    assert "Traceback" not in result.output


def test_database_in_use_is_a_clear_error(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "s.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = CliRunner().invoke(main, ["ingest", str(INPUTS), "--db", str(db)])
        assert result.exit_code == 1
        assert "database in use by another fba-audit run" in result.output
    finally:
        holder.kill()


@pytest.mark.parametrize("command", [[], ["ingest"], ["run"], ["rules"], ["rule"]])
def test_help_has_an_example(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "fba-audit" in result.output
