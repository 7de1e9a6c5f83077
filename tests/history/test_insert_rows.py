"""Rows built in Python (findings, expected fees, run history) go into DuckDB a batch at a time,
every row once, in order, typed as the table says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from auditor import store


@pytest.mark.parametrize("rows", [0, 1, 3, 7, 9])
def test_every_row_lands_once_in_order_whatever_the_batches(monkeypatch, rows):
    monkeypatch.setattr(store, "INSERT_BATCH", 3)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (n INTEGER, amount DECIMAL(18,4), day DATE, note VARCHAR)")
    values = [
        [n, Decimal(n) / 4, dt.date(2026, 1, 1 + n), None if n % 2 else f"={n}"]
        for n in range(rows)
    ]
    store.insert_rows(con, "t", values)
    assert [list(r) for r in con.execute("SELECT * FROM t ORDER BY rowid").fetchall()] == values
