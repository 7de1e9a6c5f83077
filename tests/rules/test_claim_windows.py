"""Claim windows are data with an effective date: a row applies to events dated on or after it,
and a seller can pass a table of their own."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from openpyxl import load_workbook

from auditor import policy
from auditor.cli import main
from tests.rules.builders import AS_OF, ago, audit, brief, catalog, ledger, reimbursements

LOSSES = {
    "ledger": ledger(
        {"date": ago(30), "qty": -1, "reason": "M"},
        {"date": ago(10), "qty": -1, "reason": "M", "ref": "R2", "fnsku": "X2"},
    ),
    "catalog": catalog({"cost": "8.40"}),
    "reimbursements": reimbursements(),
}


def deadline(days_ago: int, window: int) -> str:
    return (AS_OF - dt.timedelta(days=days_ago) + dt.timedelta(days=window)).isoformat()


def test_a_window_row_applies_to_events_on_or_after_its_effective_date(tmp_path, monkeypatch):
    rows = policy._rows

    def with_a_new_window(name):
        out = rows(name)
        if name == "claim_windows.csv":
            changed = {**next(r for r in out if (r["marketplace"], r["rule"]) == ("US", "R02"))}
            changed.update(deadline_days="90", effective_from=ago(20))
            out = [*out, changed]
        return out

    monkeypatch.setattr(policy, "_rows", with_a_new_window)
    assert brief(audit(tmp_path, LOSSES, "R02")) == [
        ("X1", "open", 1, "8.40", deadline(30, 60)),
        ("X2", "open", 1, "8.40", deadline(10, 90)),
    ]


def run_with_r02_at_45_days(tmp_path):
    """`fba-audit run` of LOSSES with the seller's own table, R02's deadline cut to 45 days;
    the output folder."""
    text = policy.resources.files("auditor.data").joinpath("claim_windows.csv").read_text()
    own = tmp_path / "windows.csv"
    own.write_text(text.replace("US,R02,adjustment date,0,60,", "US,R02,adjustment date,0,45,"))
    folder = tmp_path / "reports"
    folder.mkdir()
    for key, body in LOSSES.items():
        (folder / f"{key}.txt").write_text(body)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(folder),
            "--as-of",
            AS_OF.isoformat(),
            "--db",
            str(tmp_path / "s.duckdb"),
            "--out",
            str(out),
            "--windows",
            str(own),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_a_sellers_own_window_table_is_applied(tmp_path):
    out = run_with_r02_at_45_days(tmp_path)
    lines = (out / "findings.csv").read_text().splitlines()[1:]
    assert [line.split(",")[16] for line in lines] == [deadline(30, 45), deadline(10, 45)]


def test_a_broken_window_table_is_one_line_before_any_work(tmp_path):
    own = tmp_path / "windows.csv"
    own.write_text(
        "marketplace,rule,anchor,eligible_after_days,deadline_days,effective_from\n"
        "US,R02,adjustment date,0,sixty,2024-10-23\n"
    )
    result = CliRunner().invoke(
        main, ["run", str(tmp_path), "--db", str(tmp_path / "s.duckdb"), "--windows", str(own)]
    )
    assert result.exit_code == 2
    assert f"{own}: line 2: eligible_after_days and deadline_days must be whole numbers" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "s.duckdb").exists()


def test_the_workbook_lists_the_windows_the_run_applied(tmp_path):
    out = run_with_r02_at_45_days(tmp_path)
    rows = list(load_workbook(out / "claims.xlsx")["Inputs"].iter_rows(values_only=True))
    r02 = [r for r in rows if r[1] == "US" and r[2] == "R02"]
    assert [r[5] for r in r02] == [45]
