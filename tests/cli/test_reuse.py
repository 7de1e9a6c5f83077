"""A run with nothing new keeps the last run's files instead of writing them again."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from auditor.cli import main
from tests.conftest import SAMPLES


def run(tmp_path, as_of="2026-01-15", out="out"):
    args = ["run", str(SAMPLES), "--as-of", as_of, "--db", str(tmp_path / "s.duckdb")]
    return CliRunner().invoke(main, [*args, "--out", str(tmp_path / out), "--quiet"])


def stamps(folder):
    return {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def audited(tmp_path):
    first = run(tmp_path)
    assert first.exit_code == 0, first.output
    return tmp_path, first.output


def test_the_same_reports_and_day_keep_the_files_and_print_the_same_summary(audited, monkeypatch):
    tmp_path, first = audited
    before = stamps(tmp_path / "out")
    monkeypatch.setattr(
        "auditor.cli.running.run_audit", lambda *a, **k: pytest.fail("the rules ran again")
    )
    again = run(tmp_path)
    assert again.exit_code == 0, again.output
    assert "nothing new since the last run into" in again.output
    assert stamps(tmp_path / "out") == before
    table = first[first.index("Claims as of 2026-01-15") :].split("\nwrote ")[0]
    assert table in again.output


@pytest.mark.parametrize(
    "change",
    ["as-of day", "other folder", "claim marked", "workbook edited", "case file deleted"],
)
def test_anything_changed_runs_the_audit_again(audited, change):
    tmp_path, _ = audited
    out, as_of = "out", "2026-01-15"
    if change == "as-of day":
        as_of = "2026-01-16"
    elif change == "other folder":
        out = "elsewhere"
    elif change == "claim marked":
        marked = CliRunner().invoke(
            main,
            ["claims", "mark", "R06-7f207b5f29", "--denied", "--db", str(tmp_path / "s.duckdb")],
        )
        assert marked.exit_code == 0, marked.output
    elif change == "workbook edited":
        (tmp_path / "out" / "claims.xlsx").touch()
    else:
        next((tmp_path / "out" / "cases").iterdir()).unlink()
    again = run(tmp_path, as_of, out)
    assert again.exit_code == 0, again.output
    assert "nothing new" not in again.output
    assert f"wrote {tmp_path / out / 'findings.csv'}" in again.output
    assert len(list((tmp_path / out / "cases").iterdir())) == len(
        list((tmp_path / "out" / "cases").iterdir())
    )
