"""R02, R04, R08: units Amazon lost or took, with the near misses that must pass."""

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
    inbound,
    ledger,
    order,
    reimbursements,
    settlement,
)


def deadline(days_ago: int, window: int = 60) -> str:
    return (AS_OF - dt.timedelta(days=days_ago) + dt.timedelta(days=window)).isoformat()


COST = catalog({"cost": "8.40"})
NO_REIMBURSEMENTS = reimbursements()

R02_CASES = {
    "lost, never found or reimbursed": (
        {
            "ledger": ledger({"date": ago(20), "qty": -3, "reason": "M"}),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [("X1", "open", 3, "25.20", deadline(20))],
    ),
    "damaged E, Q and 6 all count": (
        {
            "ledger": ledger(
                {"date": ago(20), "qty": -1, "reason": "E"},
                {"date": ago(20), "qty": -1, "reason": "Q", "ref": "R2"},
                {"date": ago(20), "qty": -1, "reason": "6", "ref": "R3"},
            ),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [("X1", "open", 3, "25.20", deadline(20))],
    ),
    "near miss: found a week later": (
        {
            "ledger": ledger(
                {"date": ago(30), "qty": -1, "reason": "M"},
                {"date": ago(23), "qty": 1, "reason": "F"},
            ),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [],
    ),
    "near miss: reimbursed in cash and in inventory": (
        {
            "ledger": ledger({"date": ago(30), "qty": -2, "reason": "M"}),
            "reimbursements": reimbursements(
                {"date": ago(10), "reason": "Lost_Warehouse", "cash": 1, "inventory": 1}
            ),
            "catalog": COST,
        },
        [],
    ),
    "reimbursement reversed: the claim comes back": (
        {
            "ledger": ledger({"date": ago(30), "qty": -1, "reason": "M"}),
            "reimbursements": reimbursements(
                {"date": ago(20), "reason": "Lost_Warehouse", "cash": 1, "id": "5001"},
                {
                    "date": ago(5),
                    "reason": "Reimbursement_Reversal",
                    "cash": -1,
                    "id": "5002",
                    "original": "5001",
                },
            ),
            "catalog": COST,
        },
        [("X1", "open", 1, "8.40", deadline(30))],
    ),
    "near miss: customer damaged, expired, disposition change": (
        {
            "ledger": ledger(
                {"date": ago(20), "qty": -1, "reason": "H"},
                {"date": ago(20), "qty": -1, "reason": "7", "ref": "R2"},
                {"date": ago(20), "qty": 1, "reason": "P", "ref": "R3"},
            ),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [],
    ),
    "newest first: the old loss is expired, the new one open": (
        {
            "ledger": ledger(
                {"date": ago(100), "qty": -2, "reason": "M"},
                {"date": ago(10), "qty": -1, "reason": "M", "ref": "R2"},
            ),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [("X1", "expired", 2, "16.80", deadline(100)), ("X1", "open", 1, "8.40", deadline(10))],
    ),
    "a found unit settles the newest loss first": (
        {
            "ledger": ledger(
                {"date": ago(100), "qty": -1, "reason": "M"},
                {"date": ago(10), "qty": -1, "reason": "M", "ref": "R2"},
                {"date": ago(5), "qty": 1, "reason": "F", "ref": "R3"},
            ),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [("X1", "open", 1, "8.40", deadline(10))],
    ),
    "expiring within 14 days": (
        {
            "ledger": ledger({"date": ago(50), "qty": -1, "reason": "M"}),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [("X1", "expiring", 1, "8.40", deadline(50))],
    ),
    "no cost: median net proceeds of the last 18 months": (
        {
            "ledger": ledger({"date": ago(20), "qty": -1, "reason": "M"}),
            "reimbursements": NO_REIMBURSEMENTS,
            # nets 20.00-3.00-3.24 = 13.76 and 22.00-3.30-3.24 = 15.46: median 14.61
            "settlement": settlement(
                order("111-1", ago(60), "20.00"),
                order("111-2", ago(40), "22.00"),
                order("111-3", "2023-01-01", "99.00"),
            ),
        },
        [("X1", "open", 1, "14.61", deadline(20))],
    ),
    "no cost and never sold: reported with its units, unvalued": (
        {
            "ledger": ledger({"date": ago(20), "qty": -2, "reason": "5"}),
            "reimbursements": NO_REIMBURSEMENTS,
        },
        [("X1", "open", 2, None, deadline(20))],
    ),
    "a settlement's reimbursement mirror line is not a reimbursement": (
        {
            "ledger": ledger({"date": ago(20), "qty": -1, "reason": "M"}),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
            "settlement": settlement(
                [
                    {
                        "kind": "other-transaction",
                        "order_id": "",
                        "posted": ago(10),
                        "sku": "SKU1",
                        "qty": None,
                        "type": "FBA Inventory Reimbursement",
                        "desc": "WAREHOUSE_LOST",
                        "amount": Decimal("8.40"),
                    }
                ]
            ),
        },
        [("X1", "open", 1, "8.40", deadline(20))],
    ),
    "events after the as-of date are not seen": (
        {
            "ledger": ledger(
                {"date": ago(20), "qty": -1, "reason": "M"},
                {"date": "2026-02-01", "qty": 1, "reason": "F"},
            ),
            "reimbursements": reimbursements(
                {"date": "2026-02-02", "reason": "Lost_Warehouse", "cash": 1}
            ),
            "catalog": COST,
        },
        [("X1", "open", 1, "8.40", deadline(20))],
    ),
}


@pytest.mark.parametrize("case", R02_CASES)
def test_r02(tmp_path, case):
    files, expected = R02_CASES[case]
    assert brief(audit(tmp_path, files, "R02")) == expected


R04_CASES = {
    "shipped 60, received 56, 1 reimbursed: 3 claimed": (
        {
            "inbound": inbound(
                {"shipment": "FBA1", "shipped": 60, "received": 56, "closed": ago(20)}
            ),
            "reimbursements": reimbursements(
                {"date": ago(10), "reason": "Lost_Inbound", "cash": 1, "order_id": "FBA1"}
            ),
            "catalog": COST,
        },
        [("FBA1/X1", "open", 3, "25.20", deadline(20))],
    ),
    "near miss: shipment still RECEIVING": (
        {
            "inbound": inbound(
                {"shipment": "FBA1", "shipped": 60, "received": 50, "status": "RECEIVING"}
            ),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [],
    ),
    "near miss: shortage reimbursed": (
        {
            "inbound": inbound(
                {"shipment": "FBA1", "shipped": 50, "received": 48, "closed": ago(20)}
            ),
            "reimbursements": reimbursements(
                {"date": ago(10), "reason": "Damaged_Inbound", "cash": 2, "order_id": "FBA1"}
            ),
            "catalog": COST,
        },
        [],
    ),
    "a reimbursement naming no shipment offsets the oldest shortage": (
        {
            "inbound": inbound(
                {"shipment": "FBA1", "shipped": 10, "received": 8, "closed": ago(50)},
                {"shipment": "FBA2", "shipped": 10, "received": 9, "closed": ago(20)},
            ),
            "reimbursements": reimbursements(
                {"date": ago(10), "reason": "Lost_Inbound", "cash": 2}
            ),
            "catalog": COST,
        },
        [("FBA2/X1", "open", 1, "8.40", deadline(20))],
    ),
    "closed date from the last ledger receipt when the export has none": (
        {
            "inbound": inbound({"shipment": "FBA1", "shipped": 10, "received": 9}),
            "ledger": ledger(
                {"date": ago(30), "qty": 5, "event": "Receipts", "ref": "FBA1"},
                {"date": ago(25), "qty": 4, "event": "Receipts", "ref": "FBA1"},
            ),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [("FBA1/X1", "open", 1, "8.40", deadline(25))],
    ),
    "near miss: closed after the as-of date": (
        {
            "inbound": inbound(
                {"shipment": "FBA1", "shipped": 10, "received": 9, "closed": "2026-01-20"}
            ),
            "reimbursements": NO_REIMBURSEMENTS,
            "catalog": COST,
        },
        [],
    ),
}


@pytest.mark.parametrize("case", R04_CASES)
def test_r04(tmp_path, case):
    files, expected = R04_CASES[case]
    assert brief(audit(tmp_path, files, "R04")) == expected


def shipment(received: int = 30, closed: int = 40) -> str:
    return inbound({"shipment": "FBA1", "shipped": 30, "received": received, "closed": ago(closed)})


R08_CASES = {
    "received units deducted after closure": (
        {
            "inbound": shipment(),
            "catalog": COST,
            "reimbursements": NO_REIMBURSEMENTS,
            "ledger": ledger({"date": ago(25), "qty": -2, "event": "Receipts", "ref": "FBA1"}),
        },
        [("FBA1/X1", "open", 2, "16.80", deadline(25))],
    ),
    "identical deduction rows are separate deductions": (
        {
            "inbound": shipment(),
            "catalog": COST,
            "reimbursements": NO_REIMBURSEMENTS,
            "ledger": ledger(
                {"date": ago(25), "qty": -1, "event": "Receipts", "ref": "FBA1"},
                {"date": ago(25), "qty": -1, "event": "Receipts", "ref": "FBA1"},
            ),
        },
        [("FBA1/X1", "open", 2, "16.80", deadline(25))],
    ),
    "an adjustment naming the shipment counts": (
        {
            "inbound": shipment(),
            "catalog": COST,
            "reimbursements": NO_REIMBURSEMENTS,
            "ledger": ledger(
                {"date": ago(25), "qty": -1, "event": "Adjustments", "ref": "FBA1", "reason": "O"}
            ),
        },
        [("FBA1/X1", "open", 1, "8.40", deadline(25))],
    ),
    "near miss: put back by a later receipt": (
        {
            "inbound": shipment(),
            "catalog": COST,
            "reimbursements": NO_REIMBURSEMENTS,
            "ledger": ledger(
                {"date": ago(25), "qty": -1, "event": "Receipts", "ref": "FBA1"},
                {"date": ago(18), "qty": 1, "event": "Receipts", "ref": "FBA1"},
            ),
        },
        [],
    ),
    "near miss: deducted before the shipment closed": (
        {
            "inbound": shipment(closed=20),
            "catalog": COST,
            "reimbursements": NO_REIMBURSEMENTS,
            "ledger": ledger({"date": ago(25), "qty": -2, "event": "Receipts", "ref": "FBA1"}),
        },
        [],
    ),
    "an inbound reimbursement left over after the shortage offsets a deduction": (
        {
            "inbound": shipment(received=29),
            "catalog": COST,
            "reimbursements": reimbursements(
                {"date": ago(10), "reason": "Lost_Inbound", "cash": 2, "order_id": "FBA1"}
            ),
            "ledger": ledger({"date": ago(25), "qty": -2, "event": "Receipts", "ref": "FBA1"}),
        },
        [("FBA1/X1", "open", 1, "8.40", deadline(25))],
    ),
}


@pytest.mark.parametrize("case", R08_CASES)
def test_r08(tmp_path, case):
    files, expected = R08_CASES[case]
    assert brief(audit(tmp_path, files, "R08")) == expected
