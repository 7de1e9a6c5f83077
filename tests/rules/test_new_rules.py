"""The rules beyond the ten: each claimable case and each near miss the rulebook names."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.rules.builders import AS_OF, ago, audit, brief, catalog, reimbursements

COST = catalog({"cost": "8.40"})


def deadline(days_ago: int, days: int) -> str:
    return (AS_OF - dt.timedelta(days=days_ago) + dt.timedelta(days=days)).isoformat()


def paid(**row) -> dict:
    return {"date": ago(10), "reason": "Lost_Warehouse", "per_unit": "5.00", **row}


R13_CASES = {
    "cash below cost": (
        reimbursements(paid(cash=2, id="7001")),
        [("7001", "open", 2, "6.80", deadline(10, 60))],
    ),
    "inbound damage below cost": (
        reimbursements(paid(reason="Damaged_Inbound", cash=1, id="7002", per_unit="8.00")),
        [("7002", "open", 1, "0.40", deadline(10, 60))],
    ),
    "near miss: at cost": (reimbursements(paid(cash=1, id="7003", per_unit="8.40")), []),
    "near miss: under a cent below cost": (
        reimbursements(paid(cash=1, id="7004", per_unit="8.395")),
        [],
    ),
    "near miss: paid in inventory": (reimbursements(paid(inventory=1, id="7005")), []),
    "near miss: reversed": (
        reimbursements(
            paid(cash=1, id="7006"),
            {
                "date": ago(5),
                "reason": "Reimbursement_Reversal",
                "cash": -1,
                "id": "7007",
                "original": "7006",
            },
        ),
        [],
    ),
    "near miss: approved before Amazon paid at cost": (
        reimbursements(paid(cash=1, id="7008", date="2025-03-09")),
        [],
    ),
    "near miss: not a loss in Amazon's care": (
        reimbursements(paid(reason="CustomerReturn", cash=1, id="7009", order_id="111-1")),
        [],
    ),
}


@pytest.mark.parametrize("case", R13_CASES)
def test_r13(tmp_path, case):
    paid_rows, expected = R13_CASES[case]
    files = {"reimbursements": paid_rows, "catalog": COST}
    assert brief(audit(tmp_path, files, "R13")) == expected


def test_r13_needs_a_catalog_cost(tmp_path):
    files = {"reimbursements": reimbursements(paid(cash=1, id="7010")), "catalog": catalog({})}
    assert audit(tmp_path, files, "R13") == []


def test_r13_summary_asks_for_the_cost_on_file(tmp_path):
    files = {"reimbursements": reimbursements(paid(cash=1, id="7011")), "catalog": COST}
    [f] = audit(tmp_path, files, "R13")
    assert f["summary"] == (
        "Reimbursement 7011 paid 1 unit of SKU SKU1 (FNSKU X1), Lost_Warehouse, at $5.00 each. "
        "It was approved after Amazon began reimbursing lost and damaged units at their "
        "manufacturing cost, and our cost on file is $8.40 a unit: please re-value the "
        "reimbursement at that cost. We request the difference, $3.40."
    )
