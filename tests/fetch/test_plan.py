"""Which date ranges a fetch asks Amazon for."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.fetch.amazon import wait_for
from auditor.fetch.plan import Span, chunks, missing, specs

D = dt.date.fromisoformat
TODAY = D("2026-11-26")


def test_requests_follow_calendar_months_within_amazons_limit():
    assert chunks([(D("2025-11-03"), D("2026-01-15"))], 30) == [
        (D("2025-11-03"), D("2025-11-30")),
        (D("2025-12-01"), D("2025-12-30")),
        (D("2025-12-31"), D("2025-12-31")),
        (D("2026-01-01"), D("2026-01-15")),
    ]
    assert chunks([(D("2025-02-01"), D("2025-03-31"))], 31) == [
        (D("2025-02-01"), D("2025-02-28")),
        (D("2025-03-01"), D("2025-03-31")),
    ]


def test_only_the_days_not_held_are_asked_for():
    held = [
        Span(D("2025-01-01"), D("2025-03-31"), TODAY),
        Span(D("2025-05-01"), D("2025-05-31"), TODAY),
    ]
    assert missing(held, D("2024-12-01"), D("2025-06-15"), 3, TODAY) == [
        (D("2024-12-01"), D("2024-12-31")),
        (D("2025-04-01"), D("2025-04-30")),
        (D("2025-06-01"), D("2025-06-15")),
    ]
    assert missing(held, D("2025-01-10"), D("2025-03-01"), 3, TODAY) == []


def test_the_last_days_of_a_fetch_are_fetched_again_once_the_day_has_passed():
    fetched = [Span(D("2026-11-01"), D("2026-11-26"), D("2026-11-26"))]
    # the same day: nothing to ask again
    assert missing(fetched, D("2026-11-01"), D("2026-11-26"), 3, D("2026-11-26")) == []
    # a later day: the three days still filling in, and the new ones
    assert missing(fetched, D("2026-11-01"), D("2026-11-30"), 3, D("2026-11-30")) == [
        (D("2026-11-24"), D("2026-11-30"))
    ]


@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 60)), max_size=6),
    st.integers(0, 400),
    st.integers(0, 400),
)
def test_held_and_missing_days_together_are_the_range_each_day_once(spans, a, b):
    base = D("2025-01-01")
    since, until = base + dt.timedelta(days=min(a, b)), base + dt.timedelta(days=max(a, b))
    held = [
        Span(base + dt.timedelta(days=s), base + dt.timedelta(days=s + n), TODAY) for s, n in spans
    ]
    gaps = missing(held, since, until, 3, TODAY)
    days = {since + dt.timedelta(days=i) for i in range((until - since).days + 1)}
    held_days = {d for s in held for d in days if s.start <= d <= s.end}
    gap_days = [g0 + dt.timedelta(days=i) for g0, g1 in gaps for i in range((g1 - g0).days + 1)]
    assert len(gap_days) == len(set(gap_days))
    assert set(gap_days) == days - held_days
    for piece in chunks(gaps, 30):
        assert (piece[1] - piece[0]).days < 30 and piece[0].month == piece[1].month


@pytest.mark.parametrize(
    ("header", "operation", "seconds"),
    [
        ("0.0167", "createReport", 1 / 0.0167),
        ("2", "getReport", 0.5),
        (None, "getReports", 1 / 0.0222),
        ("junk", "getReportDocument", 1 / 0.0167),
        (None, "unknown", 1.0),
    ],
)
def test_a_throttled_call_waits_what_the_rate_limit_implies(header, operation, seconds):
    assert wait_for(header, operation, 0) == pytest.approx(seconds)


def test_every_report_the_rules_read_is_fetched():
    fetched = {spec.report for spec in specs()}
    assert fetched >= {
        "ledger",
        "reimbursements",
        "returns",
        "fee_preview",
        "orders",
        "removals",
        "adjustments",
        "settlement",
        "inbound",
    }
