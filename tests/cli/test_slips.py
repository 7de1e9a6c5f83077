"""Every slip a user makes gets one clear line, no traceback, and leaves the database as it was
(or never creates one); the README's commands run as written."""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.store import connect
from tests.conftest import SAMPLES

README = Path(__file__).parent.parent.parent / "README.md"
CARD = Path(__file__).parent.parent.parent / "auditor" / "data" / "us_fba_2024-02-05.toml"
SCHEDULE = CARD.with_name("us_referral_2024.toml")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """A database with one audit of the sample seller."""
    folder = tmp_path_factory.mktemp("audited")
    result = CliRunner().invoke(
        main,
        ["run", str(SAMPLES), "--as-of", "2026-01-15", "--db", str(folder / "s.duckdb")]
        + ["--out", str(folder / "out"), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    return folder


def one_line_error(result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    [line] = [x for x in result.output.splitlines() if x.startswith("Error:")]
    return line


def test_a_text_file_as_rates_is_refused_before_any_work(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    result = CliRunner().invoke(
        main,
        ["run", str(SAMPLES), "--db", str(tmp_path / "s.duckdb"), "--out", str(tmp_path)]
        + ["--rates", str(tmp_path / "notes.txt")],
    )
    line = one_line_error(result, 2)
    assert "notes.txt: not a fee card" in line and "line 1" in line
    assert not (tmp_path / "s.duckdb").exists()  # nothing was done


@pytest.mark.parametrize(
    "option, path, says",
    [
        ("--rates", SCHEDULE, "this is a referral schedule; pass it with --referral"),
        ("--referral", CARD, "this is a fee card; pass it with --rates"),
    ],
)
def test_a_card_and_a_schedule_passed_the_wrong_way_round(tmp_path, option, path, says):
    result = CliRunner().invoke(
        main, ["run", str(SAMPLES), "--db", str(tmp_path / "s.duckdb"), option, str(path)]
    )
    assert says in one_line_error(result, 2)
    assert not (tmp_path / "s.duckdb").exists()


def test_a_card_missing_a_field_names_it(tmp_path):
    card = tmp_path / "card.toml"
    card.write_text(CARD.read_text().replace('currency = "USD"\n', ""))
    result = CliRunner().invoke(
        main, ["run", str(SAMPLES), "--db", str(tmp_path / "s.duckdb"), "--rates", str(card)]
    )
    assert "card.toml: currency must be text (it is missing)" in one_line_error(result, 2)


def test_an_unknown_encoding(tmp_path):
    result = CliRunner().invoke(
        main, ["run", str(SAMPLES), "--db", str(tmp_path / "s.duckdb"), "--encoding", "bogus"]
    )
    assert "unknown encoding 'bogus'" in one_line_error(result, 2)
    assert not (tmp_path / "s.duckdb").exists()


def test_a_database_of_someone_elses_is_refused_and_left_alone(tmp_path):
    import duckdb

    theirs = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(theirs))
    con.execute("CREATE TABLE files (a INTEGER)")
    con.close()
    before = digest(theirs)
    result = CliRunner().invoke(main, ["run", str(SAMPLES), "--db", str(theirs)])
    assert "not an fba-audit database" in one_line_error(result)
    assert digest(theirs) == before


@pytest.mark.parametrize(
    "command",
    [
        ["history"],
        ["claims", "mark", "R01-0000000000", "--filed"],
        ["claims", "import", "WORKBOOK"],
        ["workbook"],
    ],
)
def test_commands_that_read_an_audit_never_create_a_database(audited, tmp_path, command):
    typo = tmp_path / "typo.duckdb"
    workbook = str(audited / "out" / "claims.xlsx")
    args = [a if a != "WORKBOOK" else workbook for a in command]
    result = CliRunner().invoke(main, [*args, "--db", str(typo)])
    assert "no such database" in one_line_error(result)
    assert not typo.exists()


def test_two_outcomes_at_once_are_refused(audited):
    before = digest(audited / "s.duckdb")
    result = CliRunner().invoke(
        main,
        ["claims", "mark", "R02-056f51a1e2", "--filed", "--denied"]
        + ["--db", str(audited / "s.duckdb")],
    )
    assert "(not --filed and --denied)" in one_line_error(result, 2)
    assert digest(audited / "s.duckdb") == before


@pytest.mark.parametrize(
    "name, content", [("notes.txt", b"hello"), ("empty.xlsx", b""), ("fake.xlsx", b"not a zip")]
)
def test_claims_import_of_something_else(audited, tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    before = digest(audited / "s.duckdb")
    result = CliRunner().invoke(
        main, ["claims", "import", str(tmp_path / name), "--db", str(audited / "s.duckdb")]
    )
    assert "not a claims workbook" in one_line_error(result)
    assert digest(audited / "s.duckdb") == before


@pytest.mark.parametrize("files", [[], ["readme.txt"]])
def test_a_folder_with_no_report_is_an_error_that_lists_what_it_holds(tmp_path, files):
    folder = tmp_path / "downloads"
    folder.mkdir()
    for name in files:
        (folder / name).write_text("hello\n")
    result = CliRunner().invoke(
        main, ["run", str(folder), "--db", str(tmp_path / "s.duckdb"), "--out", str(tmp_path)]
    )
    line = one_line_error(result)
    assert "no Seller Central report in it" in line
    assert f"(found: {', '.join(files) or 'nothing'})" in line


def test_a_run_whose_claims_all_expired_says_which_day_to_try(tmp_path):
    result = CliRunner().invoke(
        main,
        ["run", str(SAMPLES), "--as-of", "2026-11-26", "--db", str(tmp_path / "s.duckdb")]
        + ["--out", str(tmp_path / "out"), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    assert (
        "every finding is past its claim deadline as of 2026-11-26 (the newest report runs to "
        "2026-01-14): to see what was claimable when the reports were downloaded, run again "
        "with --as-of 2026-01-15"
    ) in " ".join(result.output.split())


def test_ctrl_c_while_loading_undoes_the_load_and_exits_130(tmp_path, monkeypatch):
    db = tmp_path / "s.duckdb"
    connect(db).close()
    before = connect(db)
    tables = before.execute("SELECT count(*) FROM files").fetchone()
    before.close()

    def interrupted(con, *args, **kwargs):
        con.execute("INSERT INTO journal_files VALUES (999)")
        raise KeyboardInterrupt

    monkeypatch.setattr("auditor.cli.loading.ingest", interrupted)
    result = CliRunner().invoke(main, ["run", str(SAMPLES), "--db", str(db), "--quiet"])
    assert result.exit_code == 130
    assert "interrupted; nothing was changed" in result.output
    assert "Traceback" not in result.output
    con = connect(db)
    try:
        assert con.execute("SELECT count(*) FROM files").fetchone() == tables
        assert con.execute("SELECT count(*) FROM run_journal").fetchone() == (0,)
    finally:
        con.close()


def test_a_bare_command_prints_its_help():
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 0
    assert "Commands:" in result.output and "run" in result.output


def readme_commands() -> list[str]:
    """The fba-audit and python -m commands of the README's fenced blocks."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("fba-audit ") or line.startswith("python -m pytest"):
                commands.append(line)
    return commands


def test_the_readmes_commands_run_on_the_sample(tmp_path):
    """Every README command that can run on the sample does, as written and in order (in a copy
    of the sample, so nothing of the checkout changes)."""
    shutil.copytree(SAMPLES, tmp_path / "sample_reports")
    ran = 0
    for command in readme_commands():
        words = shlex.split(command)
        if words[:2] == ["python", "-m"]:
            continue  # the test command itself
        if "~/" in command or "REPORTS_DIR" in command:
            continue  # a folder of the reader's own
        if "fetch" in words or "--fetch" in words:
            continue  # the reader's Amazon account
        exe = str(Path(sys.executable).with_name("fba-audit"))
        result = subprocess.run(
            [exe, *words[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        ran += 1
    assert ran >= 5


def test_ctrl_c_while_writing_the_workbook_says_the_audit_was_kept(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("auditor.cli.running.write_workbook", interrupted)
    db = tmp_path / "s.duckdb"
    result = CliRunner().invoke(
        main,
        ["run", str(SAMPLES), "--as-of", "2026-01-15", "--db", str(db), "--quiet"]
        + ["--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 130
    assert "interrupted; the audit was saved; write its files again with fba-audit workbook" in (
        " ".join(result.output.split())
    )
    monkeypatch.undo()
    again = CliRunner().invoke(main, ["workbook", "--db", str(db), "--out", str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "out" / "claims.xlsx").exists()
