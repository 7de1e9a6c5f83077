"""The rules beyond the ten: each claimable case and each near miss the rulebook names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.rules.builders import (
    AS_OF,
    ago,
    audit,
    brief,
    catalog,
    ledger,
    order,
    refund,
    reimbursements,
    removals,
    settlement,
)

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


def r14(tmp_path, *refunds, price="39.99", qty=1, commission=None):
    files = {
        "settlement": settlement(
            order("111-0000001-0000001", ago(40), price, qty=qty, commission=commission),
            *refunds,
        )
    }
    return audit(tmp_path, files, "R14")


ORDER = "111-0000001-0000001"
R14_CASES = {
    # a $39.99 order charged $6.00 referral fee: refunded in full, Amazon may keep $1.20
    "administration fee above 20%": (
        [refund(ORDER, ago(30), "39.99", commission_back="6.00", admin="2.00")],
        [(ORDER, "open", None, "0.80", deadline(30, 90))],
    ),
    "referral fee not given back in full": (
        [refund(ORDER, ago(30), "39.99", commission_back="5.00", admin="1.20")],
        [(ORDER, "open", None, "1.00", deadline(30, 90))],
    ),
    "two refunds of one order make one finding": (
        [
            refund(ORDER, ago(30), "20.00", commission_back="3.00", admin="1.00"),
            refund(ORDER, ago(20), "19.99", commission_back="3.00", admin="1.00"),
        ],
        # each gives back 3.00 of the 3.00 / 3.00 due and keeps 1.00 for 0.60 allowed
        [(ORDER, "open", None, "0.80", deadline(30, 90))],
    ),
    "near miss: exactly 20%": (
        [refund(ORDER, ago(30), "39.99", commission_back="6.00", admin="1.20")],
        [],
    ),
    "near miss: a partial refund with a proportional credit": (
        [refund(ORDER, ago(30), "20.00", commission_back="3.00", admin="0.60")],
        [],
    ),
    "near miss: one cent of rounding": (
        [refund(ORDER, ago(30), "39.99", commission_back="6.00", admin="1.21")],
        [],
    ),
}


@pytest.mark.parametrize("case", R14_CASES)
def test_r14(tmp_path, case):
    refunds, expected = R14_CASES[case]
    assert brief(r14(tmp_path, *refunds)) == expected


def test_r14_the_cap_on_an_expensive_item(tmp_path):
    # a $400 order charged $60 referral: 20% would be $12, the cap keeps it at $5.00
    right = refund(ORDER, ago(30), "400.00", commission_back="60.00", admin="5.00")
    assert r14(tmp_path / "a", right, price="400.00") == []
    over = refund(ORDER, ago(30), "400.00", commission_back="60.00", admin="12.00")
    [f] = r14(tmp_path / "b", over, price="400.00")
    assert f["amount"] == Decimal("7.00")
    assert f["summary"] == (
        f"Order {ORDER} (SKU SKU1): when a buyer is refunded, Amazon gives back the referral fee "
        "on the refunded amount and keeps a refund administration fee of the lesser of $5.00 "
        f"and 20% of that referral fee; the refund of $400.00 posted {ago(30)} should have given "
        "back $60.00 of referral fee and kept at most $5.00, but gave back $60.00 and kept "
        "$12.00. We request $7.00."
    )


R11_CASES = {
    "requested 10, shipped 6: 4 never accounted for": (
        [{"requested": 10, "shipped": 6, "updated": ago(20)}],
        [],
        [("RMV-1/X1", "open", 4, "33.60", deadline(20, 60))],
    ),
    "a shortfall partly reimbursed on the removal order": (
        [{"requested": 10, "shipped": 6, "updated": ago(20)}],
        [paid(reason="Removal_Order_Lost", cash=1, id="7101", order_id="RMV-1")],
        [("RMV-1/X1", "open", 3, "25.20", deadline(20, 60))],
    ),
    "the newest download of the order decides": (
        [
            {"requested": 10, "shipped": 0, "status": "Pending", "updated": ago(40)},
            {"requested": 10, "shipped": 9, "updated": ago(20)},
        ],
        [],
        [("RMV-1/X1", "open", 1, "8.40", deadline(20, 60))],
    ),
    "near miss: still pending": (
        [{"requested": 10, "shipped": 6, "status": "Pending", "updated": ago(20)}],
        [],
        [],
    ),
    "near miss: units in process": (
        [{"requested": 10, "shipped": 6, "in_process": 4, "updated": ago(20)}],
        [],
        [],
    ),
    "near miss: cancelled and disposed cover the gap": (
        [{"requested": 10, "shipped": 6, "cancelled": 3, "disposed": 1, "updated": ago(20)}],
        [],
        [],
    ),
    "near miss: the shortfall reimbursed in full": (
        [{"requested": 10, "shipped": 6, "updated": ago(20)}],
        [paid(reason="Removal_Order_Lost", cash=4, id="7102", order_id="RMV-1")],
        [],
    ),
}


@pytest.mark.parametrize("case", R11_CASES)
def test_r11(tmp_path, case):
    orders, payments, expected = R11_CASES[case]
    files = {
        "removals": removals(*orders),
        "reimbursements": reimbursements(*payments),
        "catalog": COST,
    }
    assert brief(audit(tmp_path, files, "R11")) == expected


def test_r11_summary_says_what_was_requested_and_accounted_for(tmp_path):
    files = {
        "removals": removals({"requested": 10, "shipped": 6, "updated": ago(20)}),
        "reimbursements": reimbursements(
            paid(reason="Removal_Order_Lost", cash=1, id="7103", order_id="RMV-1")
        ),
        "catalog": COST,
    }
    [f] = audit(tmp_path, files, "R11")
    assert f["summary"] == (
        "Removal order RMV-1 (return) for FNSKU X1 (SKU SKU1) is Completed: 10 units were "
        "requested, 0 cancelled, 0 disposed and 6 shipped, and Amazon reimbursed 1 "
        "(reimbursement 7103); 3 units were never shipped, disposed or cancelled. We request "
        "$25.20 (3 units at $8.40 each)."
    )


def disposal(days: int, qty: int, ref: str = "D1") -> dict:
    return {"date": ago(days), "qty": -qty, "reason": "D", "ref": ref}


R12_CASES = {
    "disposed with no disposal order": (
        [disposal(20, 3)],
        [],
        [],
        [("X1", "open", 3, "25.20", deadline(20, 60))],
    ),
    "an order covers a later disposal, not an earlier one": (
        [disposal(40, 2, "D1"), disposal(20, 2, "D2")],
        [
            {
                "type": "Disposal",
                "requested": 2,
                "disposed": 2,
                "requested_on": ago(30),
                "updated": ago(19),
            }
        ],
        [],
        # the order (30 days ago) covers the later disposal; the earlier one stays uncovered
        [("X1", "open", 2, "16.80", deadline(40, 60))],
    ),
    "a partial order leaves the rest": (
        [disposal(20, 5)],
        [
            {
                "type": "Disposal",
                "requested": 3,
                "disposed": 3,
                "requested_on": ago(25),
                "updated": ago(19),
            }
        ],
        [],
        [("X1", "open", 2, "16.80", deadline(20, 60))],
    ),
    "a warehouse reimbursement left over by R02 covers it": (
        [disposal(20, 3)],
        [],
        [paid(reason="Damaged_Warehouse", cash=1, id="7201", date=ago(10))],
        [("X1", "open", 2, "16.80", deadline(20, 60))],
    ),
    "R02's losses take the reimbursements first": (
        [{"date": ago(30), "qty": -1, "reason": "M", "ref": "L1"}, disposal(20, 3)],
        [],
        [paid(reason="Lost_Warehouse", cash=1, id="7202", date=ago(10))],
        [("X1", "open", 3, "25.20", deadline(20, 60))],
    ),
    "near miss: a disposal order the seller placed": (
        [disposal(20, 3)],
        [
            {
                "type": "Disposal",
                "requested": 3,
                "disposed": 3,
                "requested_on": ago(27),
                "updated": ago(19),
            }
        ],
        [],
        [],
    ),
    "near miss: a return order does not cover a disposal, but a disposal order does": (
        [disposal(20, 1)],
        [
            {
                "order": "RMV-1",
                "type": "Return",
                "requested": 1,
                "shipped": 1,
                "requested_on": ago(27),
                "updated": ago(19),
            },
            {
                "order": "RMV-2",
                "type": "Disposal",
                "requested": 1,
                "disposed": 1,
                "requested_on": ago(27),
                "updated": ago(19),
            },
        ],
        [],
        [],
    ),
}


@pytest.mark.parametrize("case", R12_CASES)
def test_r12(tmp_path, case):
    events, orders, payments, expected = R12_CASES[case]
    files = {
        "ledger": ledger(*events),
        "removals": removals(*orders) if orders else removals(),
        "reimbursements": reimbursements(*payments),
        "catalog": COST,
    }
    assert brief(audit(tmp_path, files, "R12")) == expected
