"""A run with nothing new keeps the last run's files instead of writing them again."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from click.testing import CliRunner

from auditor.cli import main
from tests.conftest import SAMPLES


def run(tmp_path, as_of="2026-01-15", out="out"):
    args = ["run", str(SAMPLES), "--as-of", as_of, "--db", str(tmp_path / "s.duckdb")]
    return CliRunner().invoke(main, [*args, "--out", str(tmp_path / out), "--quiet"])


def stamps(folder):
    return {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reuse")
    first = run(folder)
    assert first.exit_code == 0, first.output
    return folder, first.output


@pytest.fixture
def audited(first_run, tmp_path):
    """A copy of the first run's database and files (their times kept), to change at will."""
    folder, output = first_run
    shutil.copy2(folder / "s.duckdb", tmp_path / "s.duckdb")
    shutil.copytree(folder / "out", tmp_path / "out")
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("UPDATE last_outputs SET out_dir = ?", [str((tmp_path / "out").resolve())])
    con.close()
    return tmp_path, output


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
    [
        "nothing",
        "as-of day",
        "other folder",
        "claim marked",
        "workbook edited",
        "case file deleted",
    ],
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
    elif change == "case file deleted":
        next((tmp_path / "out" / "cases").iterdir()).unlink()
    again = run(tmp_path, as_of, out)
    assert again.exit_code == 0, again.output
    if change == "nothing":  # the copy is kept as it is, as the first run's own files are
        assert "nothing new since the last run into" in again.output
        return
    assert "nothing new" not in again.output
    assert f"wrote {tmp_path / out / 'findings.csv'}" in again.output
    assert len(list((tmp_path / out / "cases").iterdir())) == len(
        list((tmp_path / "out" / "cases").iterdir())
    )


def test_after_a_run_into_another_folder_the_first_folder_is_audited_again(audited):
    tmp_path, _ = audited
    assert run(tmp_path, out="elsewhere").exit_code == 0
    back = run(tmp_path)
    assert back.exit_code == 0, back.output
    assert "nothing new" not in back.output  # its files were of a run that is no longer the last
