"""R03, R05, R06, R07, R09: refunds and returns, with the near misses that must pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.rules.builders import (
    AS_OF,
    ago,
    audit,
    audit_all,
    brief,
    catalog,
    german,
    ledger,
    order,
    refund,
    reimbursements,
    returns,
    settlement,
)


def deadline(days_ago: int, window: int) -> str:
    return (AS_OF - dt.timedelta(days=days_ago) + dt.timedelta(days=window)).isoformat()


NONE_PAID = reimbursements()
NO_LEDGER = ledger()
BLOCKS = order("O1", ago(100), "24.99", qty=2)

R03_CASES = {
    "2 refunded, 1 returned, 90 days on: 1 unit claimed": (
        {
            "settlement": settlement(BLOCKS, refund("O1", ago(90), "49.98")),
            "returns": returns({"date": ago(92), "order_id": "O1"}),
            "reimbursements": NONE_PAID,
        },
        [("O1", "open", 1, "24.99", deadline(90, 120))],
    ),
    "the same refund 30 days on: pending": (
        {
            "settlement": settlement(BLOCKS, refund("O1", ago(30), "49.98")),
            "returns": returns({"date": ago(32), "order_id": "O1"}),
            "reimbursements": NONE_PAID,
        },
        [("O1", "pending", 1, "24.99", deadline(30, 120))],
    ),
    "refunded more than was paid": (
        {
            "settlement": settlement(order("O2", ago(60), "34.99"), refund("O2", ago(40), "39.99")),
            "returns": returns({"date": ago(41), "order_id": "O2"}),
            "reimbursements": NONE_PAID,
        },
        [("O2", "open", None, "5.00", deadline(40, 120))],
    ),
    "near miss: the missing unit already reimbursed under CustomerReturn": (
        {
            "settlement": settlement(BLOCKS, refund("O1", ago(90), "49.98")),
            "returns": returns({"date": ago(92), "order_id": "O1"}),
            "reimbursements": reimbursements(
                {
                    "date": ago(50),
                    "reason": "CustomerReturn",
                    "order_id": "O1",
                    "cash": 1,
                    "per_unit": "24.99",
                }
            ),
        },
        [],
    ),
    "near miss: every refunded unit returned": (
        {
            "settlement": settlement(BLOCKS, refund("O1", ago(90), "49.98")),
            "returns": returns({"date": ago(92), "order_id": "O1", "qty": 2}),
            "reimbursements": NONE_PAID,
        },
        [],
    ),
    "near miss: a refund one cent over the price": (
        {
            "settlement": settlement(order("O2", ago(60), "10.00"), refund("O2", ago(40), "10.01")),
            "returns": returns({"date": ago(41), "order_id": "O2"}),
            "reimbursements": NONE_PAID,
        },
        [],
    ),
    "near miss: nothing returned at all (that is R07's)": (
        {
            "settlement": settlement(BLOCKS, refund("O1", ago(90), "49.98")),
            "returns": returns(),
            "reimbursements": NONE_PAID,
        },
        [],
    ),
}


@pytest.mark.parametrize("case", R03_CASES)
def test_r03(tmp_path, case):
    files, expected = R03_CASES[case]
    assert brief(audit(tmp_path, files, "R03")) == expected


MUG = order("O5", ago(60), "19.99", commission="3.00", fee="5.77")  # net 11.22

R05_CASES = {
    "returned to inventory, never in the ledger": (
        {
            "settlement": settlement(MUG, refund("O5", ago(39), "19.99")),
            "returns": returns({"date": ago(40), "order_id": "O5"}),
            "ledger": NO_LEDGER,
            "reimbursements": NONE_PAID,
        },
        [("O5/X1", "open", 1, "11.22", deadline(40, 60))],
    ),
    "10 days after the return the ledger may still show it: pending": (
        {
            "settlement": settlement(MUG),
            "returns": returns({"date": ago(10), "order_id": "O5"}),
            "ledger": NO_LEDGER,
            "reimbursements": NONE_PAID,
        },
        [("O5/X1", "pending", 1, "11.22", deadline(10, 60))],
    ),
    "near miss: restocked 18 days after the return": (
        {
            "settlement": settlement(MUG),
            "returns": returns({"date": ago(40), "order_id": "O5"}),
            "ledger": ledger({"date": ago(22), "qty": 1, "event": "CustomerReturns", "ref": "O5"}),
            "reimbursements": NONE_PAID,
        },
        [],
    ),
    "restocked 45 days later is too late to be this return": (
        {
            "settlement": settlement(MUG),
            "returns": returns({"date": ago(50), "order_id": "O5"}),
            "ledger": ledger({"date": ago(5), "qty": 1, "event": "CustomerReturns", "ref": "O5"}),
            "reimbursements": NONE_PAID,
        },
        [("O5/X1", "expiring", 1, "11.22", deadline(50, 60))],
    ),
    "near miss: reimbursed for that order": (
        {
            "settlement": settlement(MUG),
            "returns": returns({"date": ago(40), "order_id": "O5"}),
            "ledger": NO_LEDGER,
            "reimbursements": reimbursements(
                {"date": ago(10), "reason": "CustomerReturn", "order_id": "O5", "cash": 1}
            ),
        },
        [],
    ),
    "near miss: a damaged return is R09's, not R05's": (
        {
            "settlement": settlement(MUG),
            "returns": returns({"date": ago(40), "order_id": "O5", "disposition": "DAMAGED"}),
            "ledger": NO_LEDGER,
            "reimbursements": NONE_PAID,
        },
        [],
    ),
    "order not in the settlements: the SKU's median, else its cost": (
        {
            "returns": returns({"date": ago(40), "order_id": "O9"}),
            "ledger": NO_LEDGER,
            "reimbursements": NONE_PAID,
            "catalog": catalog({"cost": "4.60"}),
            "settlement": settlement(refund("O9", ago(39), "19.99")),
        },
        [("O9/X1", "open", 1, "4.60", deadline(40, 60))],
    ),
}


@pytest.mark.parametrize("case", R05_CASES)
def test_r05(tmp_path, case):
    files, expected = R05_CASES[case]
    assert brief(audit(tmp_path, files, "R05")) == expected


PHONES = order("O6", ago(70), "39.99")
CUSTOMER_DAMAGED = returns({"date": ago(55), "order_id": "O6", "disposition": "CUSTOMER_DAMAGED"})

R06_CASES = {
    "customer damaged, refunded in full, no restocking fee": (
        {
            "settlement": settlement(PHONES, refund("O6", ago(53), "39.99")),
            "returns": CUSTOMER_DAMAGED,
        },
        [("O6", "open", 1, "8.00", deadline(53, 120))],
    ),
    "near miss: restocking fee credited": (
        {
            "settlement": settlement(PHONES, refund("O6", ago(53), "39.99", restocking="8.00")),
            "returns": CUSTOMER_DAMAGED,
        },
        [],
    ),
    "near miss: a partial refund already kept the difference": (
        {
            "settlement": settlement(PHONES, refund("O6", ago(53), "20.00")),
            "returns": CUSTOMER_DAMAGED,
        },
        [],
    ),
    "near miss: the unit came back sellable": (
        {
            "settlement": settlement(PHONES, refund("O6", ago(53), "39.99")),
            "returns": returns({"date": ago(55), "order_id": "O6"}),
        },
        [],
    ),
}


@pytest.mark.parametrize("case", R06_CASES)
def test_r06(tmp_path, case):
    files, expected = R06_CASES[case]
    assert brief(audit(tmp_path, files, "R06")) == expected


BANDS = order("O7", ago(110), "19.99", commission="3.00")
BANDS_REFUND = refund("O7", ago(100), "19.99", commission_back="3.00", admin="0.60")  # 17.59

R07_CASES = {
    "refunded 100 days ago, never returned": (
        {
            "settlement": settlement(BANDS, BANDS_REFUND),
            "returns": returns(),
            "ledger": NO_LEDGER,
            "reimbursements": NONE_PAID,
        },
        [("O7", "open", 1, "17.59", deadline(100, 120))],
    ),
    "refunded 20 days ago: pending": (
        {
            "settlement": settlement(
                BANDS, refund("O7", ago(20), "19.99", commission_back="3.00", admin="0.60")
            ),
            "returns": returns(),
            "ledger": NO_LEDGER,
            "reimbursements": NONE_PAID,
        },
        [("O7", "pending", 1, "17.59", deadline(20, 120))],
    ),
    "near miss: the return arrived on day 59": (
        {
            "settlement": settlement(BANDS, BANDS_REFUND),
            "returns": returns({"date": ago(41), "order_id": "O7"}),
            "ledger": NO_LEDGER,
            "reimbursements": NONE_PAID,
        },
        [],
    ),
    "near miss: only the ledger shows it came back": (
        {
            "settlement": settlement(BANDS, BANDS_REFUND),
            "returns": returns(),
            "ledger": ledger({"date": ago(80), "qty": 1, "event": "CustomerReturns", "ref": "O7"}),
            "reimbursements": NONE_PAID,
        },
        [],
    ),
    "near miss: already reimbursed under CustomerReturn": (
        {
            "settlement": settlement(BANDS, BANDS_REFUND),
            "returns": returns(),
            "ledger": NO_LEDGER,
            "reimbursements": reimbursements(
                {"date": ago(30), "reason": "CustomerReturn", "order_id": "O7", "cash": 1}
            ),
        },
        [],
    ),
    "a reimbursement later reversed: the claim comes back": (
        {
            "settlement": settlement(BANDS, BANDS_REFUND),
            "returns": returns(),
            "ledger": NO_LEDGER,
            "reimbursements": reimbursements(
                {
                    "date": ago(30),
                    "reason": "CustomerReturn",
                    "order_id": "O7",
                    "cash": 1,
                    "id": "7001",
                },
                {
                    "date": ago(10),
                    "reason": "Reimbursement_Reversal",
                    "order_id": "O7",
                    "cash": -1,
                    "id": "7002",
                    "original": "7001",
                },
            ),
        },
        [("O7", "open", 1, "17.59", deadline(100, 120))],
    ),
}


@pytest.mark.parametrize("case", R07_CASES)
def test_r07(tmp_path, case):
    files, expected = R07_CASES[case]
    assert brief(audit(tmp_path, files, "R07")) == expected


HOUSE = order("O9", ago(40), "89.99", commission="13.50", fee="24.81")  # net 51.68

R09_CASES = {
    "graded DAMAGED, not reimbursed": (
        {
            "settlement": settlement(HOUSE),
            "returns": returns({"date": ago(28), "order_id": "O9", "disposition": "DAMAGED"}),
            "reimbursements": NONE_PAID,
        },
        [("O9/X1", "open", 1, "51.68", deadline(28, 60))],
    ),
    "graded CARRIER_DAMAGED, not reimbursed": (
        {
            "settlement": settlement(HOUSE),
            "returns": returns(
                {"date": ago(28), "order_id": "O9", "disposition": "CARRIER_DAMAGED"}
            ),
            "reimbursements": NONE_PAID,
        },
        [("O9/X1", "open", 1, "51.68", deadline(28, 60))],
    ),
    "near miss: reimbursed": (
        {
            "settlement": settlement(HOUSE),
            "returns": returns({"date": ago(28), "order_id": "O9", "disposition": "DAMAGED"}),
            "reimbursements": reimbursements(
                {"date": ago(5), "reason": "CustomerReturn", "order_id": "O9", "cash": 1}
            ),
        },
        [],
    ),
    "near miss: damaged by the customer": (
        {
            "settlement": settlement(HOUSE),
            "returns": returns(
                {"date": ago(28), "order_id": "O9", "disposition": "CUSTOMER_DAMAGED"}
            ),
            "reimbursements": NONE_PAID,
        },
        [],
    ),
    "the return's window closed": (
        {
            "settlement": settlement(
                order("O9", ago(100), "89.99", commission="13.50", fee="24.81")
            ),
            "returns": returns({"date": ago(70), "order_id": "O9", "disposition": "DAMAGED"}),
            "reimbursements": NONE_PAID,
        },
        [("O9/X1", "expired", 1, "51.68", deadline(70, 60))],
    ),
}


@pytest.mark.parametrize("case", R09_CASES)
def test_r09(tmp_path, case):
    files, expected = R09_CASES[case]
    assert brief(audit(tmp_path, files, "R09")) == expected


def date_range(*rows: tuple, settlement_id: str = "1001") -> tuple[str, str]:
    """Date Range rows: (date, type, order id, product sales, selling fees, total[, settlement
    id]); the settlement id is `settlement_id` unless a row gives its own."""
    from auditor.samples.writers import TRANSACTIONS_HEADER

    lines = [",".join(TRANSACTIONS_HEADER)]
    for date, kind, order_id, sales, fees, total, *own in rows:
        moment = dt.datetime.fromisoformat(date + "T10:00:00").strftime("%b %d, %Y %I:%M:%S %p")
        cells = [
            f'"{moment} PST"',
            own[0] if own else settlement_id,
            kind,
            order_id,
            "SKU1",
            "Mug",
            "1",
            "amazon.com",
            "Standard Orders",
            "Amazon",
            "",
            "",
            "",
            "",
            sales,
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            fees,
            "0",
            "0",
            "0",
            total,
        ]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n", "date-range.csv"


def test_r07_from_the_date_range_report_without_settlements(tmp_path):
    files = {
        "transactions": date_range(
            (ago(110), "Order", "O7", "19.99", "-3.00", "16.99"),
            (ago(100), "Refund", "O7", "-19.99", "2.40", "-17.59"),
        ),
        "returns": returns(),
        "ledger": NO_LEDGER,
        "reimbursements": NONE_PAID,
    }
    assert brief(audit(tmp_path, files, "R07")) == [("O7", "open", 1, "17.59", deadline(100, 120))]


def test_r06_does_not_run_on_the_date_range_report_alone(tmp_path):
    from auditor.audit import run_audit
    from auditor.ingest import ingest
    from auditor.store import connect

    (tmp_path / "dr.csv").write_text(
        date_range((ago(70), "Order", "O6", "39.99", "-6.00", "33.99"))[0]
    )
    (tmp_path / "returns.txt").write_text(CUSTOMER_DAMAGED)
    con = connect(tmp_path / "s.duckdb")
    ingest(con, tmp_path)
    result = run_audit(con, AS_OF)
    con.close()
    r06 = next(o for o in result.outcomes if o.rule.code == "R06")
    assert r06.missing == ["settlement"]


# Revision 2: orders of several SKUs, split postings, partial reimbursements, windows and sources.


def findings_of(result, rule: str) -> list[tuple]:
    return brief([f for f in result.findings if f["rule"] == rule])


def test_an_order_of_two_skus_gets_one_finding_per_sku(tmp_path):
    files = {
        "settlement": settlement(
            order("O1", ago(110), "20.00", sku="SKU1", commission="3.00", fee="3.00"),
            order("O1", ago(110), "10.00", sku="SKU2", commission="1.50", fee="3.00"),
            refund("O1", ago(100), "20.00", sku="SKU1", commission_back="3.00"),
            refund("O1", ago(100), "10.00", sku="SKU2", commission_back="1.50"),
        ),
        "returns": returns(),
        "ledger": NO_LEDGER,
        "reimbursements": NONE_PAID,
    }
    assert brief(audit(tmp_path, files, "R07")) == [
        ("O1/SKU1", "open", 1, "17.00", deadline(100, 120)),
        ("O1/SKU2", "open", 1, "8.50", deadline(100, 120)),
    ]


def test_a_reimbursement_of_one_sku_leaves_the_other_skus_refund_claimable(tmp_path):
    files = {
        "settlement": settlement(
            order("O1", ago(110), "20.00", sku="SKU1"),
            order("O1", ago(110), "10.00", sku="SKU2"),
            refund("O1", ago(100), "20.00", sku="SKU1"),
            refund("O1", ago(100), "10.00", sku="SKU2"),
        ),
        "returns": returns(),
        "ledger": NO_LEDGER,
        "reimbursements": reimbursements(
            {
                "date": ago(20),
                "reason": "CustomerReturn",
                "order_id": "O1",
                "cash": 1,
                "per_unit": "20.00",
                "sku": "SKU1",
            }
        ),
    }
    assert brief(audit(tmp_path, files, "R07")) == [
        ("O1/SKU2", "open", 1, "10.00", deadline(100, 120))
    ]


def test_r03_is_anchored_at_the_refund_that_made_it_exceed_the_return(tmp_path):
    files = {
        "settlement": settlement(
            BLOCKS, refund("O1", ago(100), "24.99"), refund("O1", ago(30), "24.99")
        ),
        "returns": returns({"date": ago(95), "order_id": "O1"}),
        "reimbursements": NONE_PAID,
    }
    # The first refund matched the returned unit; the second, 30 days ago, is the excess.
    assert brief(audit(tmp_path, files, "R03")) == [
        ("O1", "pending", 1, "24.99", deadline(30, 120))
    ]


def test_a_finding_of_both_parts_describes_both(tmp_path):
    files = {
        "settlement": settlement(BLOCKS, refund("O1", ago(90), "59.98")),
        "returns": returns({"date": ago(92), "order_id": "O1"}),
        "reimbursements": NONE_PAID,
    }
    [finding] = audit(tmp_path, files, "R03")
    assert (finding["quantity"], finding["amount"]) == (1, Decimal("34.99"))
    assert "refunded $59.98 of principal against $49.98 paid, $10.00 more" in finding["summary"]
    assert (
        "2 units were refunded but only 1 came back, leaving 1 unit at $24.99"
        in (finding["summary"])
    )


def test_an_excess_refund_never_returned_is_claimed_once_by_r07(tmp_path):
    files = {
        "settlement": settlement(
            order("O4", ago(120), "34.99", commission="5.25", fee="3.24"),
            refund("O4", ago(100), "39.99", commission_back="5.25"),
        ),
        "returns": returns(),
        "ledger": NO_LEDGER,
        "reimbursements": NONE_PAID,
    }
    result = audit_all(tmp_path, files)
    assert findings_of(result, "R03") == []
    assert findings_of(result, "R07") == [("O4", "open", 1, "34.74", deadline(100, 120))]


def test_a_restock_dated_up_to_a_week_before_the_return_date_matches_it(tmp_path):
    def files(restocked_days_ago: int) -> dict:
        return {
            "settlement": settlement(MUG),
            "returns": returns({"date": ago(50), "order_id": "O5"}),
            "ledger": ledger(
                {"date": ago(restocked_days_ago), "qty": 1, "event": "CustomerReturns", "ref": "O5"}
            ),
            "reimbursements": NONE_PAID,
        }

    assert brief(audit(tmp_path / "a", files(57), "R05")) == []
    assert brief(audit(tmp_path / "b", files(58), "R05")) == [
        ("O5/X1", "expiring", 1, "11.22", deadline(50, 60))
    ]


def test_a_return_is_not_claimable_before_the_ledgers_30_days(tmp_path):
    def files(days_ago: int) -> dict:
        return {
            "settlement": settlement(MUG),
            "returns": returns({"date": ago(days_ago), "order_id": "O5"}),
            "ledger": NO_LEDGER,
            "reimbursements": NONE_PAID,
        }

    assert brief(audit(tmp_path / "a", files(29), "R05")) == [
        ("O5/X1", "pending", 1, "11.22", deadline(29, 60))
    ]
    assert brief(audit(tmp_path / "b", files(30), "R05")) == [
        ("O5/X1", "open", 1, "11.22", deadline(30, 60))
    ]


def test_a_partial_reimbursement_reduces_a_return_claim_to_the_rest(tmp_path):
    files = {
        "settlement": settlement(
            order("O5", ago(80), "19.99", qty=2, commission="6.00", fee="5.77")
        ),
        "returns": returns({"date": ago(40), "order_id": "O5", "qty": 2}),
        "ledger": NO_LEDGER,
        "reimbursements": reimbursements(
            {
                "date": ago(10),
                "reason": "CustomerReturn",
                "order_id": "O5",
                "cash": 1,
                "per_unit": "11.22",
            }
        ),
    }
    assert brief(audit(tmp_path, files, "R05")) == [("O5/X1", "open", 1, "11.22", deadline(40, 60))]


def test_a_partial_reimbursement_reduces_a_damaged_return_to_the_rest(tmp_path):
    files = {
        "settlement": settlement(
            order("O9", ago(80), "30.00", qty=2, commission="9.00", fee="3.00")
        ),
        "returns": returns({"date": ago(20), "order_id": "O9", "qty": 2, "disposition": "DAMAGED"}),
        "reimbursements": reimbursements(
            {
                "date": ago(10),
                "reason": "CustomerReturn",
                "order_id": "O9",
                "cash": 1,
                "per_unit": "21.00",
            }
        ),
    }
    [finding] = audit(tmp_path, files, "R09")
    # Net proceeds (60.00 - 9.00 - 6.00) / 2 = 22.50 a unit; one of the two was reimbursed.
    assert (finding["quantity"], finding["amount"]) == (1, Decimal("22.50"))


def test_a_partial_reimbursement_reduces_a_refund_never_returned_to_the_rest(tmp_path):
    files = {
        "settlement": settlement(
            order("O7", ago(120), "20.00", qty=2, commission="6.00", fee="6.00"),
            refund("O7", ago(100), "40.00", commission_back="4.80"),
        ),
        "returns": returns(),
        "ledger": NO_LEDGER,
        "reimbursements": reimbursements(
            {
                "date": ago(10),
                "reason": "CustomerServiceIssue",
                "order_id": "O7",
                "cash": 1,
                "per_unit": "15.00",
            }
        ),
    }
    # Net debit 35.20 for two units; one was reimbursed: the other unit's half is claimed.
    assert brief(audit(tmp_path, files, "R07")) == [("O7", "open", 1, "17.60", deadline(100, 120))]


def test_r07_waits_60_days_for_the_buyer_to_return_the_item(tmp_path):
    def files(days_ago: int) -> dict:
        return {
            "settlement": settlement(
                order("O7", ago(days_ago + 10), "19.99", commission="3.00", fee="3.24"),
                refund("O7", ago(days_ago), "19.99", commission_back="2.40"),
            ),
            "returns": returns(),
            "ledger": NO_LEDGER,
            "reimbursements": NONE_PAID,
        }

    assert brief(audit(tmp_path / "a", files(59), "R07")) == [
        ("O7", "pending", 1, "17.59", deadline(59, 120))
    ]
    assert brief(audit(tmp_path / "b", files(60), "R07")) == [
        ("O7", "open", 1, "17.59", deadline(60, 120))
    ]


def test_a_restocking_fee_line_of_zero_is_no_credit(tmp_path):
    files = {
        "settlement": settlement(
            order("O6", ago(70), "39.99"), refund("O6", ago(60), "39.99", restocking="0.00")
        ),
        "returns": CUSTOMER_DAMAGED,
    }
    assert brief(audit(tmp_path, files, "R06")) == [("O6", "open", 1, "8.00", deadline(60, 120))]


def test_a_split_shipment_values_a_returned_unit_at_the_summed_net_proceeds(tmp_path):
    # 3 units posted as 2 + 1: net proceeds (30.00 - 4.50 - 2.10) / 3 = 7.80 a unit.
    files = {
        "settlement": settlement(
            order("O8", ago(50), "10.00", qty=2, fee="0.70"),
            order("O8", ago(49), "10.00", qty=1, fee="0.70"),
        ),
        "returns": returns({"date": ago(20), "order_id": "O8", "disposition": "DAMAGED"}),
        "reimbursements": NONE_PAID,
    }
    assert brief(audit(tmp_path, files, "R09")) == [("O8/X1", "open", 1, "7.80", deadline(20, 60))]


GERMAN_REFUND = settlement(
    order("302-1", ago(70), "29.99", commission="4.50", fee="3.10"),
    refund("302-1", ago(50), "29.99", commission_back="3.60"),
    settlement_id="9912345678",
    currency="EUR",
)


def test_a_german_settlement_refund_never_returned_uses_the_european_windows(tmp_path):
    files = {
        "settlement": german(GERMAN_REFUND),
        "returns": returns(),
        "ledger": NO_LEDGER,
        "reimbursements": NONE_PAID,
    }
    [finding] = audit(tmp_path, files, "R07")
    assert (finding["key"], finding["status"], finding["amount"], finding["currency"]) == (
        "302-1",
        "open",
        Decimal("26.39"),
        "EUR",
    )
    assert finding["eligible_from"].isoformat() == deadline(50, 45)
    assert finding["claim_deadline"].isoformat() == deadline(50, 105)


def test_a_damaged_return_in_europe_keeps_60_days(tmp_path):
    files = {
        "settlement": german(
            settlement(
                order("302-2", ago(80), "29.99", commission="4.50", fee="3.10"),
                settlement_id="9912345679",
                currency="EUR",
            )
        ),
        "returns": returns({"date": ago(58), "order_id": "302-2", "disposition": "DAMAGED"}),
        "reimbursements": NONE_PAID,
    }
    assert brief(audit(tmp_path, files, "R09")) == [
        ("302-2/X1", "expiring", 1, "22.39", deadline(58, 60))
    ]


def test_date_range_rows_fill_the_days_no_settlement_covers_and_are_never_counted_twice(
    tmp_path,
):
    settled = settlement(
        order("O8", ago(130), "19.99", commission="3.00", fee="3.24"),
        refund("O8", ago(110), "19.99", commission_back="2.40"),
        period=("2025-01-01", ago(105)),
    )
    files = {
        "settlement": settled,
        "transactions": date_range(
            # Already in the loaded settlement 1001: not counted again.
            (ago(130), "Order", "O8", "19.99", "-3.00", "16.99"),
            (ago(110), "Refund", "O8", "-19.99", "2.40", "-17.59"),
            # After it: a settlement not loaded, and one not yet settled.
            (ago(103), "Order", "O7", "19.99", "-3.00", "16.99", "2002"),
            (ago(100), "Refund", "O7", "-19.99", "2.40", "-17.59", ""),
        ),
        "returns": returns(),
        "ledger": NO_LEDGER,
        "reimbursements": NONE_PAID,
    }
    result = audit_all(tmp_path, files)
    assert findings_of(result, "R07") == [
        ("O7", "open", 1, "17.59", deadline(100, 120)),
        ("O8", "expiring", 1, "17.59", deadline(110, 120)),
    ]
    assert any("read from the Date Range report" in n for n in result.notes), result.notes


def test_a_unit_reimbursed_in_inventory_takes_its_share_of_the_net_debit_off(tmp_path):
    files = {
        "settlement": settlement(
            order("O7", ago(120), "20.00", qty=2, commission="6.00", fee="6.00"),
            refund("O7", ago(100), "40.00", commission_back="4.80"),
        ),
        "returns": returns(),
        "ledger": NO_LEDGER,
        "reimbursements": reimbursements(
            {"date": ago(10), "reason": "CustomerReturn", "order_id": "O7", "inventory": 1}
        ),
    }
    [finding] = audit(tmp_path, files, "R07")
    assert (finding["quantity"], finding["amount"]) == (1, Decimal("17.60"))
    assert "Amazon reimbursed 1 unit of it" in finding["summary"]


def test_near_miss_a_partial_goodwill_refund_is_no_unit_never_returned(tmp_path):
    files = {
        "settlement": settlement(order("O8", ago(120), "25.00"), refund("O8", ago(100), "5.00")),
        "returns": returns(),
        "ledger": NO_LEDGER,
        "reimbursements": NONE_PAID,
    }
    assert brief(audit(tmp_path, files, "R07")) == []


def test_money_reimbursed_without_units_comes_off_the_units_never_returned(tmp_path):
    files = {
        "settlement": settlement(
            order("O1", ago(120), "25.00", qty=3), refund("O1", ago(90), "75.00")
        ),
        "returns": returns({"date": ago(95), "order_id": "O1"}),
        "reimbursements": reimbursements(
            {
                "date": ago(10),
                "reason": "CustomerServiceIssue",
                "order_id": "O1",
                "cash": 0,
                "amount": "25.00",
            }
        ),
    }
    assert brief(audit(tmp_path, files, "R03")) == [("O1", "open", 2, "25.00", deadline(90, 120))]


def test_a_return_the_ledger_shows_counts_as_returned_for_r03(tmp_path):
    files = {
        "settlement": settlement(BLOCKS, refund("O1", ago(90), "49.98")),
        "returns": returns(),
        "ledger": ledger({"date": ago(92), "qty": 1, "event": "CustomerReturns", "ref": "O1"}),
        "reimbursements": NONE_PAID,
    }
    result = audit_all(tmp_path, files)
    assert findings_of(result, "R03") == [("O1", "open", 1, "24.99", deadline(90, 120))]
    assert findings_of(result, "R07") == []


def test_the_restocking_fee_is_claimed_on_the_customer_damaged_units_only(tmp_path):
    files = {
        "settlement": settlement(
            order("O6", ago(70), "20.00", qty=2), refund("O6", ago(60), "40.00")
        ),
        "returns": returns(
            {"date": ago(62), "order_id": "O6", "disposition": "SELLABLE"},
            {"date": ago(62), "order_id": "O6", "disposition": "CUSTOMER_DAMAGED"},
        ),
    }
    assert brief(audit(tmp_path, files, "R06")) == [("O6", "open", 1, "4.00", deadline(60, 120))]


def test_each_return_keeps_its_own_date_and_wait(tmp_path):
    files = {
        "settlement": settlement(MUG, order("O5", ago(60), "19.99", commission="3.00", fee="5.77")),
        "returns": returns({"date": ago(40), "order_id": "O5"}, {"date": ago(5), "order_id": "O5"}),
        "ledger": ledger({"date": ago(38), "qty": 1, "event": "CustomerReturns", "ref": "O5"}),
        "reimbursements": NONE_PAID,
    }
    # The first return was restocked; the second still has 25 days for the ledger to show it.
    assert brief(audit(tmp_path, files, "R05")) == [
        ("O5/X1", "pending", 1, "11.22", deadline(5, 60))
    ]


def test_a_fresh_damaged_return_is_not_lost_with_an_old_one(tmp_path):
    files = {
        "settlement": settlement(
            order("O9", ago(100), "30.00", qty=2, commission="9.00", fee="3.00")
        ),
        "returns": returns(
            {"date": ago(70), "order_id": "O9", "disposition": "DAMAGED"},
            {"date": ago(10), "order_id": "O9", "disposition": "CARRIER_DAMAGED"},
        ),
        "reimbursements": NONE_PAID,
    }
    assert brief(audit(tmp_path, files, "R09")) == [
        ("O9/X1", "expired", 1, "22.50", deadline(70, 60)),
        ("O9/X1", "open", 1, "22.50", deadline(10, 60)),
    ]


def test_a_part_claimable_now_and_a_part_pending_have_ids_of_their_own(tmp_path):
    files = {
        # 24.99 x 2 paid, 59.98 refunded 30 days ago, 1 returned: (a) now, (b) after 60 days.
        "settlement": settlement(BLOCKS, refund("O1", ago(30), "59.98")),
        "returns": returns({"date": ago(32), "order_id": "O1"}),
        "reimbursements": NONE_PAID,
    }
    found = audit(tmp_path, files, "R03")
    assert brief(found) == [
        ("O1", "open", None, "10.00", deadline(30, 120)),
        ("O1", "pending", 1, "24.99", deadline(30, 120)),
    ]
    ids = {f["status"]: f["finding_id"] for f in found}
    assert ids["pending"] == ids["open"] + "-p"
