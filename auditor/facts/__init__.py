"""Facts every rule shares, built once per audit as TEMP tables and views:

- `views`: the canonical views cut at the as-of date, under their own names;
- `orders`: `order_lines` and `refunds`, one row per order and SKU, their evidence a pointer that
  `expand_order_evidence` turns into source lines only for the rows a rule claims;
- `values`: `unit_values`, what one unit of a SKU is worth before an order;
- `inbound`: `shipment_closed` and `inbound_status`, each shipment item's closed date, shortage
  and the reimbursements against it;
- `losses`: `loss_pool`, the units lost per FNSKU that R02 and R08 share;
- `fees`: `expected_fba_fees`, `sku_categories`, `referral_expected`, the reference fees per SKU.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from auditor.facts import fees, inbound, losses, orders, values, views
from auditor.facts.orders import expand_order_evidence
from auditor.fees import RateCard, ReferralSchedule

__all__ = ["TABLES", "Facts", "build", "expand_order_evidence"]

# The temp tables `build` makes.
TABLES = [
    "postings",
    "_order_skus",
    "order_lines",
    "refunds",
    "refund_matches",
    "sku_currency",
    "unit_values",
    "shipment_closed",
    "inbound_status",
    "loss_events",
    "loss_pool",
    "expected_fba_fees",
    "sku_categories",
    "referral_expected",
]


@dataclass
class Facts:
    as_of: dt.date
    cards: list[RateCard]
    referral: list[ReferralSchedule]  # in force, day by day
    notes: list[str] = field(default_factory=list)  # what the run could not check, and why
    unknown_categories: list[str] = field(default_factory=list)


def build(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    views.as_of_views(con, facts.as_of)
    orders.order_lines_and_refunds(con, facts)
    values.unit_values(con, facts.as_of)
    inbound.inbound_status(con, facts)
    losses.loss_pool(con)
    fees.referral(con, facts)
    fees.expected_fba_fees(con, facts)
    views.uncovered_currencies(con, facts)
