"""Every date format and number style Seller Central writes, read by the SQL the loader
generates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from auditor import parsing


def read_dates(values: list[str], dayfirst: bool = False) -> list:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    sql = parsing.choose_date_formats(con, "t", {"v": values}, dayfirst)["v"]
    return [r[0] for r in con.execute(f"SELECT {sql} FROM t").fetchall()]


T = dt.datetime


@pytest.mark.parametrize(
    "text, expected",
    [
        ("07/06/2026", T(2026, 7, 6)),  # ledger Date, month first
        ("7/6/2026", T(2026, 7, 6)),  # re-saved by Excel
        ("2026-07-06T00:00:00-0700", T(2026, 7, 6)),  # ledger Date and Time
        ("2026-09-14T07:03:57+00:00", T(2026, 9, 14, 7, 3, 57)),  # returns
        ("2026-03-13 20:21:38 UTC", T(2026, 3, 13, 20, 21, 38)),  # settlement
        ("2026-03-14", T(2026, 3, 14)),  # settlement posted-date
        ("Jun 26, 2023 11:53:30 PM PDT", T(2023, 6, 26, 23, 53, 30)),  # Date Range US
        ("Jun 26, 2023 11:53:30 p.m. PDT", T(2023, 6, 26, 23, 53, 30)),  # CA/AU a.m./p.m.
        ("12 abr 2023 16:26:06 GMT-7", T(2023, 4, 12, 16, 26, 6)),  # ES
        ("26 juin 2023 10:00:00 UTC+2", T(2023, 6, 26, 10, 0)),  # FR
        ("26.06.2023 23:53:30 UTC", T(2023, 6, 26, 23, 53, 30)),  # DE
        ("2023/06/26 23:53:30JST", T(2023, 6, 26, 23, 53, 30)),  # JP
        ("26 Jun 2023 23:53:30 GMT+00:00", T(2023, 6, 26, 23, 53, 30)),  # UK
    ],
)
def test_each_date_format(text, expected):
    assert read_dates([text]) == [expected]


def test_day_first_when_a_day_exceeds_twelve():
    assert read_dates(["05/06/2026", "13/06/2026"]) == [T(2026, 6, 5), T(2026, 6, 13)]


def test_ambiguous_dates_follow_the_locale():
    assert read_dates(["05/06/2026"]) == [T(2026, 5, 6)]
    assert read_dates(["05/06/2026"], dayfirst=True) == [T(2026, 6, 5)]


def test_a_date_in_another_order_than_the_file_is_not_guessed():
    # Month first is what most rows say; the odd one out is unreadable, never silently swapped.
    values = ["01/02/2026", "03/04/2026", "05/06/2026", "07/08/2026", "12/31/2026", "31/12/2026"]
    assert read_dates(values)[-2:] == [T(2026, 12, 31), None]


def read_number(text: str, decimal_comma: bool, kind: str = "money"):
    sql = parsing.number_sql("v", decimal_comma, kind)
    return (
        duckdb.connect()
        .execute(f"SELECT {sql} FROM (SELECT ?::VARCHAR AS v)", [text])
        .fetchone()[0]
    )


@pytest.mark.parametrize(
    "text, comma, expected",
    [
        ("-1,052.64", False, Decimal("-1052.64")),
        ("1,299.00", False, Decimal("1299.00")),
        ("$12.50", False, Decimal("12.50")),
        ("0.005", False, Decimal("0.005")),
        ("-1.052,64", True, Decimal("-1052.64")),
        ("64,44", True, Decimal("64.44")),
        ("1\u202f234,50", True, Decimal("1234.50")),
        ("12,50 €", True, Decimal("12.50")),
        ("abc", False, None),
    ],
)
def test_amounts(text, comma, expected):
    assert read_number(text, comma) == expected


@pytest.mark.parametrize(
    "text, expected", [("3", 3), ("1,000", 1000), ("3.0", 3), ("-2", -2), ("2.5", None)]
)
def test_counts(text, expected):
    assert read_number(text, False, "int") == expected


@pytest.mark.parametrize(
    "samples, expected",
    [
        (["1.052,64", "12,50", "3,00"], True),
        (["1,052.64", "12.50"], False),
        (["12", "1,000"], False),
    ],
)
def test_decimal_comma_is_judged_from_the_file(samples, expected):
    assert parsing.uses_decimal_comma(samples) is expected
