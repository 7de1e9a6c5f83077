"""The built-in fee cards: the card in force on each day of each marketplace, the price bands at
their boundaries, peak seasons, the fuel and logistics surcharge, metric cards, and Amazon's own
published examples recomputed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from auditor.fees import Unit, builtin_cards, builtin_schedules, in_force
from tests.rules.builders import audit, catalog, order, settlement

CARDS = in_force(builtin_cards())


def card(marketplace: str, day: str):
    wanted = dt.date.fromisoformat(day)
    [found] = [
        c
        for c in CARDS
        if c.marketplace == marketplace
        and c.effective_from <= wanted <= (c.effective_to or dt.date.max)
    ]
    return found


def test_every_day_of_a_marketplace_has_one_card_at_most():
    for marketplace in ("US", "UK", "DE"):
        mine = sorted(
            (c for c in CARDS if c.marketplace == marketplace), key=lambda c: c.effective_from
        )
        for a, b in zip(mine, mine[1:], strict=False):
            assert a.effective_to is not None and a.effective_to < b.effective_from


@pytest.mark.parametrize(
    "day, name",
    [
        ("2024-10-14", "US FBA fulfillment fees, non-peak, from 2024-02-05"),
        ("2024-10-15", "US FBA fulfillment fees, holiday peak 2024"),
        ("2025-01-15", "US FBA fulfillment fees, non-peak, from 2024-02-05"),
        ("2025-10-15", "US FBA fulfillment fees, holiday peak 2025"),
        ("2026-01-14", "US FBA fulfillment fees, holiday peak 2025"),
        ("2026-01-15", "US FBA fulfillment fees, non-peak, from 2026-01-15"),
        ("2026-11-26", "US FBA fulfillment fees, holiday peak 2026"),
    ],
)
def test_the_us_card_in_force_each_day(day, name):
    assert card("US", day).name.startswith(name)


SMALL = Unit.of("12", "2.5", "0.6", "in", "4.8", "oz")  # small standard, 6 oz bracket
LARGE = Unit.of("12", "6", "3", "in", "2.4", "lb")  # large standard, 2.25-2.5 lb


@pytest.mark.parametrize(
    "price, fee",
    [("9.99", "2.56"), ("10.00", "3.45"), ("50.00", "3.45"), ("50.01", "3.71")],
)
def test_2026_price_bands_at_their_boundaries(price, fee):
    us = card("US", "2026-03-01")
    assert us.fulfilment_fee(SMALL, Decimal(price)) == ("small standard", Decimal(fee))


def test_2026_large_standard_is_the_2024_fee_plus_five_cents_in_the_middle_band():
    assert card("US", "2025-06-01").fulfilment_fee(LARGE, Decimal("20")) == (
        "large standard",
        Decimal("6.05"),
    )
    assert card("US", "2026-06-01").fulfilment_fee(LARGE, Decimal("20"))[1] == Decimal("6.10")
    assert card("US", "2026-06-01").fulfilment_fee(LARGE, Decimal("9.99"))[1] == Decimal("5.28")


def test_a_peak_season_fee_is_never_flagged(tmp_path):
    spatula = catalog({"dims": ("12", "2.5", "0.6"), "weight": "4.8", "category": "Kitchen"})
    files = {"catalog": spatula, "settlement": settlement(order("O1", "2025-12-01", "12.99"))}
    # $3.44 is the 2025 peak fee of a 6 oz small standard unit; $3.24 the rest of the year
    files["settlement"] = settlement(order("O1", "2025-12-01", "12.99", fee="3.44"))
    assert audit(tmp_path / "a", files, "R01") == []
    files["settlement"] = settlement(order("O1", "2025-12-01", "12.99", fee="3.54"))
    [f] = audit(tmp_path / "b", files, "R01")
    assert f["amount"] == Decimal("0.10")


def test_a_surcharged_2026_order_is_compared_with_the_surcharged_fee(tmp_path):
    spatula = catalog({"dims": ("12", "2.5", "0.6"), "weight": "4.8", "category": "Kitchen"})
    # from 17 April 2026 the fee is the card's $3.45 plus 3.5%: $3.57
    right = settlement(order("O1", "2026-05-01", "12.99", fee="3.57"))
    as_of = dt.date(2026, 6, 1)
    assert audit(tmp_path / "a", {"catalog": spatula, "settlement": right}, "R01", as_of) == []
    # the day before, the same charge is 12 cents over
    before = settlement(order("O1", "2026-04-16", "12.99", fee="3.57"))
    [f] = audit(tmp_path / "b", {"catalog": spatula, "settlement": before}, "R01", as_of)
    assert f["amount"] == Decimal("0.12")
    # a wrong tier with its surcharge: large standard 8 oz $3.95 x 1.035 = $4.09 charged
    wrong = settlement(order("O1", "2026-05-01", "12.99", fee="4.09"))
    [f] = audit(tmp_path / "c", {"catalog": spatula, "settlement": wrong}, "R01", as_of)
    assert f["amount"] == Decimal("0.52")  # the surcharge on the difference is claimed too
    assert "3.5% fuel and logistics surcharge" in f["summary"]


@pytest.mark.parametrize(
    "marketplace, day, unit, price, expected",
    [
        # Amazon's help page example: 34 x 25 x 6 cm, 1.7 kg is a small parcel, 1.9 kg bracket
        (
            "UK",
            "2026-03-01",
            ("34", "25", "6", "cm", "1700", "g"),
            "25.00",
            ("small parcel", "3.25"),
        ),
        (
            "DE",
            "2025-06-01",
            ("34", "25", "6", "cm", "1.7", "kg"),
            "25.00",
            ("small parcel", "4.58"),  # the CEP column's 4.23 + 0.35 outside the programme
        ),
        (
            "DE",
            "2026-03-01",
            ("34", "25", "6", "cm", "1.7", "kg"),
            "25.00",
            ("small parcel", "3.43"),  # the CEP column's 3.17 + 0.26 outside the programme
        ),
        # a standard parcel weighed at its dimensional weight (45 x 34 x 26 / 5000 = 7.956 kg)
        (
            "UK",
            "2026-03-01",
            ("45", "34", "26", "cm", "100", "g"),
            "25.00",
            ("standard parcel", "3.57"),
        ),
        # a light envelope at a low price: inclusive threshold, GBP 20 in 2026
        (
            "UK",
            "2026-03-01",
            ("20", "15", "1", "cm", "70", "g"),
            "20.00",
            ("light envelope", "1.67"),
        ),
        (
            "UK",
            "2026-03-01",
            ("20", "15", "1", "cm", "70", "g"),
            "20.01",
            ("light envelope", "2.07"),
        ),
    ],
)
def test_metric_cards_recompute_published_examples(marketplace, day, unit, price, expected):
    # a category that has the marketplace's general low-price limit
    found = card(marketplace, day).fulfilment_fee(Unit.of(*unit), Decimal(price), "Toys & Games")
    assert found == (expected[0], Decimal(expected[1]))


def test_a_category_that_keeps_the_lower_low_price_limit(tmp_path):
    uk = card("UK", "2026-03-01")
    envelope = Unit.of("20", "15", "1", "cm", "70", "g")
    assert uk.fulfilment_fee(envelope, Decimal("15.00"), "Kitchen")[1] == Decimal("2.07")
    assert uk.fulfilment_fee(envelope, Decimal("15.00"), "Toys and Games")[1] == Decimal("1.67")


def test_uk_and_german_orders_are_checked_in_their_own_currency(tmp_path):
    # a 34 x 25 x 6 cm, 1.7 kg parcel charged the standard parcel fee
    parcel = catalog(
        {
            "dims": ("34", "25", "6"),
            "unit": "centimeters",
            "weight": "1.7",
            "weight_unit": "kilograms",
            "category": "Toys & Games",
        }
    )
    uk = settlement(
        order("O1", "2026-03-02", "25.00", fee="3.48"), currency="GBP", marketplace="Amazon.co.uk"
    )
    [f] = audit(tmp_path / "uk", {"catalog": parcel, "settlement": uk}, "R01", dt.date(2026, 4, 1))
    assert (f["currency"], f["amount"]) == ("GBP", Decimal("0.23"))
    de = settlement(
        order("O1", "2026-03-02", "25.00", fee="3.17"), currency="EUR", marketplace="Amazon.de"
    )
    assert (
        audit(tmp_path / "de", {"catalog": parcel, "settlement": de}, "R01", dt.date(2026, 4, 1))
        == []
    )


def test_referral_schedules_cover_the_us_uk_and_germany():
    markets = {s.marketplace for s in in_force(builtin_schedules())}
    assert markets == {"US", "UK", "DE"}


# Amazon's own 2024/2025 examples (price $10 and over): a mobile device case, a baby cot and a
# monitor, non-peak and in the peak season. Amazon gives their tiers and fees, not their
# packages; these packages are ones of those tiers and shipping weights.
@pytest.mark.parametrize(
    "unit, tier, non_peak, peak",
    [
        (("7", "4", "0.5", "in", "3", "oz"), "small standard", "3.15", "3.34"),
        (("20", "15", "3", "in", "7.5", "lb"), "large bulky", "12.27", "13.31"),
        (("30", "20", "10", "in", "66", "lb"), "extra-large", "51.37", "54.18"),
    ],
)
def test_amazons_us_examples_non_peak_and_peak(unit, tier, non_peak, peak):
    for day, fee in (("2025-06-01", non_peak), ("2024-11-01", peak), ("2025-11-01", peak)):
        assert card("US", day).fulfilment_fee(Unit.of(*unit), Decimal("20")) == (
            tier,
            Decimal(fee),
        )
