"""Three monthly downloads written by the sample generator, loaded into one database month by
month: findings appear when their events happen, keep their ids, and the last month's audit is
exactly the audit of one clean load."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from auditor.cli import main
from auditor.history import finding_id
from auditor.samples import generate
from auditor.store import connect
from tests.conftest import SAMPLES

MONTHS = [dt.date(2025, 11, 15), dt.date(2025, 12, 15), dt.date(2026, 1, 15)]


def test_three_generated_months(tmp_path):
    db = tmp_path / "s.duckdb"
    for month in MONTHS:
        folder = tmp_path / f"downloads-{month}"
        generate(folder, seed=7, through=month)
        result = CliRunner().invoke(
            main,
            [
                "run",
                str(folder),
                "--as-of",
                str(month),
                "--db",
                str(db),
                "--out",
                str(tmp_path / "out"),
            ],
        )
        assert result.exit_code == 0, result.output

    # Three overlapping downloads end exactly where one clean load of the year does.
    assert (tmp_path / "out" / "findings.csv").read_bytes() == (
        SAMPLES / "expected_findings.csv"
    ).read_bytes()

    con = connect(db)
    try:
        seen = {
            (run, fid): change
            for run, fid, change in con.execute(
                "SELECT run_id, finding_id, change FROM run_findings"
            ).fetchall()
        }
    finally:
        con.close()

    def change(run: int, rule: str, key: str, bucket: str = "claimable") -> str | None:
        return seen.get((run, finding_id(rule, key, bucket)))

    assert {c for (run, _), c in seen.items() if run == 1} == {"new"}
    headphones = "119-5390011-8033932"  # refunded 2025-11-22 without a restocking fee
    assert [change(n, "R06", headphones) for n in (1, 2, 3)] == [None, "new", "still_open"]
    towel = "X0005HMK35"  # lost 2025-12-20
    assert [change(n, "R02", towel) for n in (1, 2, 3)] == [None, None, "new"]
    cable = "X0025ELK78"  # lost 2025-08-31: expired before the first audit
    assert [change(n, "R02", cable, "expired") for n in (1, 2, 3)] == [
        "new",
        "unchanged",
        "unchanged",
    ]
    shortage = "FBA15HKSH0RT/X0017SPK22"  # closed 2025-12-25
    assert [change(n, "R04", shortage) for n in (1, 2, 3)] == [None, None, "new"]
