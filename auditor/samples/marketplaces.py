"""Sellers of one marketplace each, for the fee rules: a 2026 US seller, a UK seller and a German
seller, each selling a few products every few days for most of a year and charged the fee of
the card and schedule in force on each order's day (peak seasons, price bands, surcharges
included), with two planted overcharges: one product measured bigger than it is (R01) and one
charged a higher referral rate than its category's (R10).

    python -m auditor.samples --marketplace uk --out uk-seller

The days no built-in card knows the fees of (a UK or German peak season) are charged the
non-peak fee plus 20 cents: the audit must list them as not checked, never flag them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from auditor.fees import (
    RateCard,
    ReferralSchedule,
    Unit,
    builtin_cards,
    builtin_schedules,
    in_force,
    money,
    on_day,
)
from auditor.samples import writers as w


@dataclass(frozen=True)
class Item:
    sku: str
    dims: tuple[str, str, str]
    weight: str
    price: Decimal
    category: str


@dataclass(frozen=True)
class Market:
    marketplace: str
    name: str  # as the settlement's marketplace-name says it
    currency: str
    units: tuple[str, str]  # the catalog's dimension and weight units
    start: dt.date
    as_of: dt.date
    items: tuple[Item, ...]
    measured: tuple[str, tuple[str, str, str], dt.date]  # R01: sku, Amazon's dims, from
    overrate: tuple[str, Decimal, dt.date]  # R10: sku, the rate charged, from


def _items(*rows) -> tuple[Item, ...]:
    return tuple(Item(s, d, wt, Decimal(p), c) for s, d, wt, p, c in rows)


MARKETS = {
    "us-2026": Market(
        "US",
        "Amazon.com",
        "USD",
        ("inches", "ounces"),
        dt.date(2026, 1, 15),
        dt.date(2026, 11, 20),
        _items(
            ("US-CASE", ("6", "3", "0.5"), "3", "9.99", "Electronics Accessories"),
            ("US-MUG", ("6", "4", "4"), "14", "10.00", "Home & Kitchen"),
            ("US-LAMP", ("16", "10", "6"), "38", "50.00", "Home & Kitchen"),
            ("US-BOOT", ("14", "10", "5"), "56", "50.01", "Shoes"),
            ("US-SERUM", ("5", "2", "1.5"), "4", "9.49", "Beauty, Health & Personal Care"),
        ),
        ("US-CASE", ("6", "3", "1"), dt.date(2026, 9, 1)),
        ("US-SERUM", Decimal("0.15"), dt.date(2026, 9, 15)),
    ),
    "uk": Market(
        "UK",
        "Amazon.co.uk",
        "GBP",
        ("centimeters", "grams"),
        dt.date(2025, 2, 1),
        dt.date(2026, 10, 1),
        _items(
            ("UK-CARD", ("20", "15", "1"), "70", "7.99", "Office Products"),
            ("UK-SCARF", ("30", "20", "2"), "150", "14.99", "Clothing and Accessories"),
            ("UK-KETTLE", ("25", "20", "20"), "1200", "29.99", "Kitchen"),
            ("UK-TOY", ("34", "25", "6"), "1700", "25.00", "Toys and Games"),
        ),
        ("UK-TOY", ("34", "25", "13"), dt.date(2026, 8, 1)),
        ("UK-CARD", Decimal("0.20"), dt.date(2026, 8, 15)),
    ),
    "de": Market(
        "DE",
        "Amazon.de",
        "EUR",
        ("centimeters", "grams"),
        dt.date(2025, 2, 1),
        dt.date(2026, 10, 1),
        _items(
            ("DE-KARTE", ("20", "15", "1"), "70", "6.99", "Office Products"),
            ("DE-SCHAL", ("30", "20", "2"), "150", "18.99", "Clothing and Accessories"),
            ("DE-KESSEL", ("25", "20", "20"), "1200", "34.99", "Kitchen"),
            ("DE-SPIEL", ("34", "25", "6"), "1700", "25.00", "Toys and Games"),
        ),
        ("DE-SPIEL", ("34", "25", "13"), dt.date(2026, 8, 1)),
        ("DE-KARTE", Decimal("0.20"), dt.date(2026, 8, 15)),
    ),
}
ORDER_EVERY_DAYS = 3
SETTLEMENT_DAYS = 14
UNKNOWN_FEE_UPLIFT = Decimal("0.20")


def _fee(card: RateCard, unit: Unit, item: Item, day: dt.date) -> Decimal:
    fee = card.fulfilment_fee(unit, item.price, item.category)[1]
    return money(fee * (1 + card.surcharge_rate(day)))


def generate_market(key: str, out: Path, seed: int = 7) -> Market:
    """Write the seller `key` (us-2026, uk, de): catalog and settlements, in `out`."""
    market = MARKETS[key]
    rng = random.Random(seed)
    cards = in_force(builtin_cards())
    schedules: list[ReferralSchedule] = in_force(builtin_schedules())
    known = [c for c in cards if not c.data.get("fees_unknown")]
    length, weight = market.units
    lines = []
    n = 0
    day = market.start
    while day < market.as_of:
        for item in market.items:
            if (day - market.start).days % ORDER_EVERY_DAYS != market.items.index(item) % 3:
                continue
            n += 1
            qty = 2 if rng.random() < 0.1 else 1
            posted = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)))
            dims = item.dims
            sku, wrong_dims, from_day = market.measured
            if item.sku == sku and day >= from_day:
                dims = wrong_dims
            unit = Unit.of(*dims, length, item.weight, weight)
            card = on_day(known, market.marketplace, day)
            if card is None:  # a season whose fees are not built in
                previous = on_day(known, market.marketplace, day - dt.timedelta(days=92))
                fee = _fee(previous, unit, item, day) + UNKNOWN_FEE_UPLIFT
            else:
                fee = _fee(card, unit, item, day)
            schedule = on_day(schedules, market.marketplace, day)
            rate_sku, rate, rate_from = market.overrate
            if item.sku == rate_sku and day >= rate_from:
                commission = max(money(item.price * rate), schedule.minimum)
            elif schedule is None:  # no schedule known: what the year before charged
                commission = on_day(schedules, market.marketplace, day - dt.timedelta(days=60)).fee(
                    item.category, item.price
                )
            else:
                commission = schedule.fee(item.category, item.price)
            order_id = f"{300 + n % 600:03d}-{(n * 7919) % 10**7:07d}-{(n * 104_729) % 10**7:07d}"
            for kind, description, amount in (
                ("ItemPrice", "Principal", item.price * qty),
                ("ItemFees", "Commission", -commission * qty),
                ("ItemFees", "FBAPerUnitFulfillmentFee", -fee * qty),
            ):
                lines.append((posted, order_id, item.sku, qty, kind, description, amount))
        day += dt.timedelta(days=1)
    out.mkdir(parents=True, exist_ok=True)
    _write_catalog(market, out)
    _write_settlements(market, lines, out)
    return market


def _write_catalog(market: Market, out: Path) -> None:
    length, weight = market.units
    rows = [
        [i.sku, "", market.currency, *i.dims, length, i.weight, weight, i.category]
        for i in market.items
    ]
    w.write_flat(out / "my-catalog.txt", w.CATALOG_HEADER, rows)


def _write_settlements(market: Market, lines: list, out: Path) -> None:
    periods: dict[int, list] = {}
    for line in lines:
        periods.setdefault((line[0].date() - market.start).days // SETTLEMENT_DAYS, []).append(line)
    for k, chunk in sorted(periods.items()):
        begin = dt.datetime.combine(
            market.start + dt.timedelta(days=k * SETTLEMENT_DAYS), dt.time()
        )
        end = begin + dt.timedelta(days=SETTLEMENT_DAYS)
        settlement_id = str(21_000_000_000 + k * 1_771)
        total = sum((line[6] for line in chunk), Decimal(0))
        rows = [
            [
                settlement_id,
                w.settlement_datetime(begin),
                w.settlement_datetime(end),
                w.settlement_datetime(end + dt.timedelta(days=2)),
                money(total),
                market.currency,
            ]
            + [""] * 18
        ]
        for posted, order_id, sku, qty, kind, description, amount in sorted(chunk):
            rows.append(
                w.settlement_line(
                    settlement_id,
                    "Order",
                    order_id,
                    market.name,
                    kind,
                    description,
                    money(amount),
                    posted.date().isoformat(),
                    w.settlement_datetime(posted),
                    sku,
                    qty,
                )
            )
        w.write_flat(out / "settlements" / f"{settlement_id}.txt", w.SETTLEMENT_HEADER, rows)
