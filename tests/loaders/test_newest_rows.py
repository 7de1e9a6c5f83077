"""Where downloads disagree on an order line or a catalog SKU, the views pick the same row
whichever file was loaded first: the latest update, then the newest file, then a fixed order."""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest

from auditor.samples import writers as w
from auditor.store import connect
from tests.conftest import load
from tests.rules.builders import catalog

NOW = time.time() - 24 * 3600
EARLIER = NOW - 7 * 24 * 3600


def orders(status: str, last_updated: str) -> str:
    row = dict.fromkeys(w.ORDERS_HEADER, "")
    row.update(
        {
            "amazon-order-id": "113-7777777-1111111",
            "purchase-date": "2026-05-01T18:22:01+00:00",
            "last-updated-date": last_updated,
            "order-status": status,
            "fulfillment-channel": "Amazon",
            "sku": "TEA-POT-1",
            "item-status": status,
            "quantity": "1",
            "currency": "USD",
            "item-price": "29.99",
        }
    )
    return "\t".join(w.ORDERS_HEADER) + "\n" + "\t".join(row.values()) + "\n"


def loaded(tmp_path, files: list[tuple[str, str, float]], query: str) -> list[tuple]:
    """Load (name, text, mtime) files one at a time, in the order given; the rows of `query`."""
    con = connect(tmp_path / "seller.duckdb")
    try:
        for name, text, mtime in files:
            folder = tmp_path / name.split(".")[0]
            folder.mkdir()
            path = folder / name
            path.write_text(text, encoding="utf-8")
            os.utime(path, (mtime, mtime))
            assert [r.status for r in load(con, folder).values()] == ["loaded"]
        return con.execute(query).fetchall()
    finally:
        con.close()


ORDER_STATE = "SELECT order_status, item_status FROM orders"
CASES = {
    "the later update wins over the newer file": (
        [
            ("orders-old.txt", orders("Shipped", "2026-05-03T02:11:45+00:00"), EARLIER),
            ("orders-new.txt", orders("Pending", "2026-05-01T19:00:00+00:00"), NOW),
        ],
        ORDER_STATE,
        [[("Shipped", "Shipped")]],
    ),
    "same update time: the newer file wins": (
        [
            ("orders-old.txt", orders("Pending", "2026-05-03T02:11:45+00:00"), EARLIER),
            ("orders-new.txt", orders("Shipped", "2026-05-03T02:11:45+00:00"), NOW),
        ],
        ORDER_STATE,
        [[("Shipped", "Shipped")]],
    ),
    "catalog files of the same age: one of them, the same either way": (
        [
            ("catalog-a.txt", catalog({"cost": "9.00"}), NOW),
            ("catalog-b.txt", catalog({"cost": "1.00"}), NOW),
        ],
        "SELECT sku, unit_cost FROM catalog",
        [[("SKU1", Decimal("9.00"))], [("SKU1", Decimal("1.00"))]],
    ),
    "orders files of the same age and update time: one of them, the same either way": (
        [
            ("orders-a.txt", orders("Pending", "2026-05-03T02:11:45+00:00"), NOW),
            ("orders-b.txt", orders("Shipped", "2026-05-03T02:11:45+00:00"), NOW),
        ],
        ORDER_STATE,
        [[("Pending", "Pending")], [("Shipped", "Shipped")]],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_view_picks_the_same_row_in_either_load_order(tmp_path, case):
    files, query, allowed = CASES[case]
    forward = loaded(tmp_path / "forward", files, query)
    backward = loaded(tmp_path / "backward", files[::-1], query)
    assert forward in allowed
    assert backward == forward
