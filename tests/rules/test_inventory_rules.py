"""R02, R04, R08: units Amazon lost or took, with the near misses that must pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.rules.builders import (
    AS_OF,
    adjustments,
    ago,
    audit,
    audit_all,
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


# Revision 2: one closed date per shipment, one loss pool per FNSKU.

TWO_LINES = inbound(
    {"shipment": "FBA1", "fnsku": "X1", "sku": "SKU1", "shipped": 10, "received": 10},
    {"shipment": "FBA1", "fnsku": "X2", "sku": "SKU2", "shipped": 5, "received": 0},
)
SECOND = {"fnsku": "X2", "sku": "SKU2"}
TWO_COSTS = catalog({"sku": "SKU1", "cost": "8.40"}, {"sku": "SKU2", "cost": "3.00"})


def test_a_line_with_nothing_received_closes_with_its_shipment(tmp_path):
    files = {
        "inbound": TWO_LINES,
        "catalog": TWO_COSTS,
        "reimbursements": NO_REIMBURSEMENTS,
        "ledger": ledger({"date": ago(20), "qty": 10, "event": "Receipts", "ref": "FBA1"}),
    }
    assert brief(audit(tmp_path, files, "R04")) == [("FBA1/X2", "open", 5, "15.00", deadline(20))]


def test_every_line_of_a_shipment_closes_on_its_last_receipt_of_any_fnsku(tmp_path):
    files = {
        "inbound": inbound(
            {"shipment": "FBA1", "fnsku": "X1", "sku": "SKU1", "shipped": 12, "received": 10},
            {"shipment": "FBA1", "fnsku": "X2", "sku": "SKU2", "shipped": 5, "received": 5},
        ),
        "catalog": TWO_COSTS,
        "reimbursements": NO_REIMBURSEMENTS,
        "ledger": ledger(
            {"date": ago(70), "qty": 10, "event": "Receipts", "ref": "FBA1"},
            {"date": ago(20), "qty": 5, "event": "Receipts", "ref": "FBA1", **SECOND},
        ),
    }
    # X1's own last receipt was 70 days ago (expired); the shipment closed 20 days ago.
    assert brief(audit(tmp_path, files, "R04")) == [("FBA1/X1", "open", 2, "16.80", deadline(20))]


def test_a_deduction_after_the_fnskus_last_receipt_but_before_the_shipment_closed_is_no_claim(
    tmp_path,
):
    files = {
        "inbound": inbound(
            {"shipment": "FBA1", "fnsku": "X1", "sku": "SKU1", "shipped": 10, "received": 10},
            {"shipment": "FBA1", "fnsku": "X2", "sku": "SKU2", "shipped": 5, "received": 1},
        ),
        "catalog": TWO_COSTS,
        "reimbursements": NO_REIMBURSEMENTS,
        "ledger": ledger(
            {"date": ago(40), "qty": 10, "event": "Receipts", "ref": "FBA1"},
            {"date": ago(30), "qty": -2, "event": "Receipts", "ref": "FBA1"},
            {"date": ago(20), "qty": 1, "event": "Receipts", "ref": "FBA1", **SECOND},
            {"date": ago(10), "qty": -1, "event": "Receipts", "ref": "FBA1", **SECOND},
        ),
    }
    assert brief(audit(tmp_path, files, "R08")) == [("FBA1/X2", "open", 1, "3.00", deadline(10))]


def test_a_closed_shipment_without_a_closed_date_is_listed_as_not_checked(tmp_path):
    files = {
        "inbound": inbound({"shipment": "FBA9", "shipped": 10, "received": 7}),
        "catalog": COST,
        "reimbursements": NO_REIMBURSEMENTS,
    }
    result = audit_all(tmp_path, files)
    assert [f for f in result.findings if f["rule"] == "R04"] == []
    assert any(
        n.startswith("R04, R08: not checked: no closed date for CLOSED shipment FBA9;")
        for n in result.notes
    ), result.notes


def test_a_reimbursement_naming_no_shipment_offsets_only_closed_shipments(tmp_path):
    shipments = inbound(
        # Receiving since 70 days ago: its shortage is not a loss yet.
        {"shipment": "FBA1", "shipped": 10, "received": 8, "status": "RECEIVING"},
        {"shipment": "FBA2", "shipped": 10, "received": 8, "closed": ago(30)},
    )
    receipts = ledger({"date": ago(70), "qty": 8, "event": "Receipts", "ref": "FBA1"})
    loose = {"date": ago(10), "reason": "Lost_Inbound", "cash": 2}
    files = {
        "inbound": shipments,
        "ledger": receipts,
        "catalog": COST,
        "reimbursements": reimbursements(loose),
    }
    assert brief(audit(tmp_path / "all", files, "R04")) == []
    files["reimbursements"] = reimbursements({**loose, "cash": 1})
    assert brief(audit(tmp_path / "one", files, "R04")) == [
        ("FBA2/X1", "open", 1, "8.40", deadline(30))
    ]


def test_a_warehouse_reimbursement_offsets_a_deduction_after_closure(tmp_path):
    files = {
        "inbound": shipment(),
        "catalog": COST,
        "ledger": ledger({"date": ago(25), "qty": -2, "reason": "M", "ref": "FBA1"}),
        "reimbursements": reimbursements({"date": ago(5), "reason": "Lost_Warehouse", "cash": 2}),
    }
    result = audit_all(tmp_path, files)
    assert [f for f in result.findings if f["rule"] in ("R02", "R08")] == []


def test_a_deduction_after_closure_is_r08s_and_never_also_r02s(tmp_path):
    files = {
        "inbound": shipment(),
        "catalog": COST,
        "ledger": ledger({"date": ago(25), "qty": -2, "reason": "M", "ref": "FBA1"}),
        "reimbursements": NO_REIMBURSEMENTS,
    }
    result = audit_all(tmp_path, files)
    by_rule = {r: brief([f for f in result.findings if f["rule"] == r]) for r in ("R02", "R08")}
    assert by_rule == {"R02": [], "R08": [("FBA1/X1", "open", 2, "16.80", deadline(25))]}


def test_one_pool_a_found_unit_and_a_reimbursement_offset_r02_and_r08_once(tmp_path):
    files = {
        "inbound": shipment(),
        "catalog": COST,
        "ledger": ledger(
            {"date": ago(30), "qty": -2, "reason": "M", "ref": "FBA1"},
            {"date": ago(20), "qty": -1, "reason": "E", "ref": "T1"},
            {"date": ago(15), "qty": 1, "reason": "F", "ref": "T2"},
        ),
        "reimbursements": reimbursements({"date": ago(5), "reason": "Lost_Warehouse", "cash": 1}),
    }
    # 3 units lost in all, 2 made good: the newest loss (R02, 20 days ago) keeps its unit.
    result = audit_all(tmp_path, files)
    by_rule = {r: brief([f for f in result.findings if f["rule"] == r]) for r in ("R02", "R08")}
    assert by_rule == {"R02": [("X1", "open", 1, "8.40", deadline(20))], "R08": []}


def test_adjustments_after_the_ledger_ends_are_still_claimed(tmp_path):
    files = {
        "ledger": ledger(
            {"date": ago(120), "qty": 5, "event": "Receipts", "ref": "FBA1"},
            {"date": ago(80), "qty": -1, "event": "Shipments", "ref": "O1"},
        ),
        # Inside the ledger's dates the ledger speaks for itself; after it, the adjustments do.
        "adjustments": adjustments(
            {"date": ago(100), "qty": -1, "reason": "M"},
            {"date": ago(20), "qty": -2, "reason": "M"},
        ),
        "reimbursements": NO_REIMBURSEMENTS,
        "catalog": COST,
    }
    assert brief(audit(tmp_path, files, "R02")) == [("X1", "open", 2, "16.80", deadline(20))]


def test_a_loss_without_a_catalog_cost_is_valued_at_the_median_in_its_own_currency(tmp_path):
    usd = settlement(
        order("O1", ago(50), "12.00", commission="1.00", fee="1.00"),
        order("O2", ago(40), "12.00", commission="1.00", fee="1.00"),
    )
    cad = settlement(
        order("O3", ago(50), "16.00", commission="1.00", fee="1.00"),
        settlement_id="2002",
        currency="CAD",
    )
    files = {
        "settlement": usd,
        "settlement-ca": (cad, "settlement-ca.txt"),
        "ledger": ledger(
            {"date": ago(20), "qty": -1, "reason": "M", "country": "CA"},
            {"date": ago(20), "qty": -1, "reason": "M", "fnsku": "X2", "ref": "R2"},
        ),
        "reimbursements": NO_REIMBURSEMENTS,
    }
    found = {
        (f["key"], f["currency"], f["amount"], f["valuation"])
        for f in audit(tmp_path, files, "R02")
    }
    assert found == {
        ("X1", "CAD", Decimal("14.00"), "net_proceeds"),
        ("X2", "USD", Decimal("10.00"), "net_proceeds"),
    }


def test_losses_of_one_fnsku_in_two_currencies_are_never_added_together(tmp_path):
    files = {
        "ledger": ledger(
            {"date": ago(20), "qty": -1, "reason": "M", "country": "CA"},
            {"date": ago(20), "qty": -2, "reason": "M", "ref": "R2"},
        ),
        "catalog": catalog({"cost": "8.40"}),
        "settlement": settlement(
            order("O3", ago(50), "16.00", commission="1.00", fee="1.00"),
            settlement_id="2002",
            currency="CAD",
        ),
        "reimbursements": NO_REIMBURSEMENTS,
    }
    found = {
        (f["key"], f["quantity"], f["amount"], f["currency"]) for f in audit(tmp_path, files, "R02")
    }
    assert found == {
        ("X1/CAD", 1, Decimal("14.00"), "CAD"),
        ("X1/USD", 2, Decimal("16.80"), "USD"),
    }


def test_a_deduction_the_inbound_export_already_counts_short_is_claimed_once(tmp_path):
    files = {
        # 30 arrived by the ledger; after closing, 2 were taken back and the export says 28.
        "inbound": inbound({"shipment": "FBA1", "shipped": 30, "received": 28, "closed": ago(40)}),
        "catalog": COST,
        "reimbursements": NO_REIMBURSEMENTS,
        "ledger": ledger(
            {"date": ago(41), "qty": 30, "event": "Receipts", "ref": "FBA1"},
            {"date": ago(25), "qty": -2, "event": "Receipts", "ref": "FBA1"},
        ),
    }
    result = audit_all(tmp_path, files)
    by_rule = {r: brief([f for f in result.findings if f["rule"] == r]) for r in ("R04", "R08")}
    assert by_rule == {"R04": [("FBA1/X1", "open", 2, "16.80", deadline(40))], "R08": []}


def test_near_miss_a_customer_damaged_adjustment_naming_the_shipment_is_no_deduction(tmp_path):
    files = {
        "inbound": shipment(),
        "catalog": COST,
        "reimbursements": NO_REIMBURSEMENTS,
        "ledger": ledger(
            {"date": ago(25), "qty": -1, "event": "Adjustments", "ref": "FBA1", "reason": "H"}
        ),
    }
    assert brief(audit(tmp_path, files, "R08")) == []
