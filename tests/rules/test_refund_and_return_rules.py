"""R03, R05, R06, R07, R09: refunds and returns, with the near misses that must pass."""

from __future__ import annotations

import datetime as dt

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


def date_range(*rows: tuple[str, str, str, str, str, str]) -> tuple[str, str]:
    """Date Range rows: (date, type, order id, product sales, selling fees, total)."""
    from auditor.samples.writers import TRANSACTIONS_HEADER

    lines = [",".join(TRANSACTIONS_HEADER)]
    for date, kind, order_id, sales, fees, total in rows:
        moment = dt.datetime.fromisoformat(date + "T10:00:00").strftime("%b %d, %Y %I:%M:%S %p")
        cells = [
            f'"{moment} PST"',
            "1001",
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
