"""A finding's status from its claim deadline: open, expiring within 14 days, expired after."""

from __future__ import annotations

import datetime as dt

from tests.rules.builders import AS_OF, audit, brief, catalog, ledger, reimbursements


def lost_with_deadline_in(days_left: int) -> str:
    """The date of a loss whose 60-day R02 deadline is `days_left` days after AS_OF."""
    return (AS_OF + dt.timedelta(days=days_left) - dt.timedelta(days=60)).isoformat()


def in_days(days: int) -> str:
    return (AS_OF + dt.timedelta(days=days)).isoformat()


def test_a_loss_with_14_days_left_is_expiring_and_one_with_15_is_open(tmp_path):
    files = {
        "ledger": ledger(
            {"date": lost_with_deadline_in(14), "qty": -1, "reason": "M", "fnsku": "X14"},
            {"date": lost_with_deadline_in(15), "qty": -1, "reason": "M", "fnsku": "X15"},
        ),
        "reimbursements": reimbursements(),
        "catalog": catalog({"cost": "8.40"}),
    }
    assert brief(audit(tmp_path, files, "R02")) == [
        ("X14", "expiring", 1, "8.40", in_days(14)),
        ("X15", "open", 1, "8.40", in_days(15)),
    ]


def test_a_loss_whose_deadline_is_today_is_expiring_and_yesterday_expired(tmp_path):
    files = {
        "ledger": ledger(
            {"date": lost_with_deadline_in(0), "qty": -1, "reason": "M", "fnsku": "X0"},
            {"date": lost_with_deadline_in(-1), "qty": -1, "reason": "M", "fnsku": "XM1"},
        ),
        "reimbursements": reimbursements(),
        "catalog": catalog({"cost": "8.40"}),
    }
    assert brief(audit(tmp_path, files, "R02")) == [
        ("X0", "expiring", 1, "8.40", in_days(0)),
        ("XM1", "expired", 1, "8.40", in_days(-1)),
    ]
