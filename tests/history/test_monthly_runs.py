"""Three monthly runs on one database: each finding keeps its id and is marked against the
previous run (new, still open, changed, resolved with its reimbursement, expired)."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

from click.testing import CliRunner

from auditor.cli import main
from auditor.history import finding_id
from tests.conftest import SAMPLES
from tests.rules.builders import reimbursements

TOWEL, PUZZLE, PLANNER = "X0005HMK35", "X0012TYK84", "X0023OFK64"


def run(reports, db, out, as_of):
    result = CliRunner().invoke(
        main,
        ["run", str(reports), "--as-of", as_of, "--db", str(db), "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


def changes(con, run_id):
    return {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT finding_id, change, status, reimbursement_ids, recovered FROM run_findings "
            "WHERE run_id = ?",
            [run_id],
        ).fetchall()
    }


def test_three_months(tmp_path):
    from auditor.store import connect

    reports, db, out = tmp_path / "reports", tmp_path / "s.duckdb", tmp_path / "out"
    shutil.copytree(SAMPLES, reports)
    run(reports, db, out, "2026-01-15")

    # Month 2: Amazon reimbursed the 3 lost towel sets; the puzzle claim's window closed.
    (reports / "reimbursements-2026-01.txt").write_text(
        reimbursements(
            {
                "date": "2026-01-20",
                "reason": "Lost_Warehouse",
                "id": "4242424242",
                "fnsku": TOWEL,
                "sku": "HM-TOWEL-SET",
                "cash": 3,
                "per_unit": "8.40",
            }
        )
    )
    run(reports, db, out, "2026-01-25")
    # Month 3: nothing new arrives.
    run(reports, db, out, "2026-02-20")

    con = connect(db)
    try:
        assert [r[0] for r in con.execute("SELECT as_of FROM runs ORDER BY run_id").fetchall()] == [
            dt.date(2026, 1, 15),
            dt.date(2026, 1, 25),
            dt.date(2026, 2, 20),
        ]
        first, second, third = changes(con, 1), changes(con, 2), changes(con, 3)
    finally:
        con.close()

    assert {c[0] for c in first.values()} == {"new"}
    towel = finding_id("R02", TOWEL, "claimable")
    assert first[towel][:2] == ("new", "open")
    assert second[towel] == ("resolved", "open", ["4242424242"], Decimal("25.20"))
    assert towel not in third and finding_id("R02", TOWEL, "expired") not in third

    puzzle = finding_id("R02", PUZZLE, "claimable")
    assert first[puzzle][:2] == ("new", "expiring")
    assert second[finding_id("R02", PUZZLE, "expired")][:2] == ("expired", "expired")
    assert puzzle not in second
    assert third[finding_id("R02", PUZZLE, "expired")][:2] == ("unchanged", "expired")

    planner = finding_id("R02", PLANNER, "claimable")
    assert second[planner][:2] == ("still_open", "expiring")  # 12 days left
    assert third[finding_id("R02", PLANNER, "expired")][:2] == ("expired", "expired")

    # The same discrepancy keeps its id while its amount moves (fee lines leave the window).
    fee = finding_id("R01", "KS-SPAT-SIL", "claimable")
    assert first[fee][0] == "new" and second[fee][0] == "changed"
