"""The reference fee cards: size tier, shipping weight, FBA fulfilment fee and
referral fee for a unit, in exact decimals. The cards are data files in `auditor/data/`; a user
may pass their own with --rates."""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from pathlib import Path

CENT = Decimal("0.01")
OUNCES = {
    "oz": Decimal(1),
    "ounces": Decimal(1),
    "lb": Decimal(16),
    "lbs": Decimal(16),
    "pounds": Decimal(16),
    "g": Decimal("0.03527396195"),
    "grams": Decimal("0.03527396195"),
    "kg": Decimal("35.27396195"),
    "kilograms": Decimal("35.27396195"),
}
INCHES = {
    "in": Decimal(1),
    "inches": Decimal(1),
    "cm": Decimal("0.3937007874"),
    "centimeters": Decimal("0.3937007874"),
    "mm": Decimal("0.03937007874"),
    "millimeters": Decimal("0.03937007874"),
}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Unit:
    """A product's measured package: three sides in inches and weight in ounces."""

    sides: tuple[Decimal, Decimal, Decimal]  # longest, median, shortest
    weight_oz: Decimal

    @classmethod
    def of(cls, a, b, c, dimension_unit: str, weight, weight_unit: str) -> Unit:
        to_in = INCHES[dimension_unit.strip().lower()]
        to_oz = OUNCES[weight_unit.strip().lower()]
        sides = sorted(
            (Decimal(str(a)) * to_in, Decimal(str(b)) * to_in, Decimal(str(c)) * to_in),
            reverse=True,
        )
        return cls((sides[0], sides[1], sides[2]), Decimal(str(weight)) * to_oz)


@dataclass(frozen=True)
class RateCard:
    name: str
    marketplace: str
    currency: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str
    data: dict

    @property
    def low_price_below(self) -> Decimal:
        return Decimal(self.data["low_price_below"])

    def tier_rank(self, name: str | None) -> int | None:
        """A tier's place in the card, smallest first; None for a name the card does not use."""
        names = [t["name"] for t in self.data["tiers"]]
        wanted = (name or "").strip().lower()
        return names.index(wanted) if wanted in names else None

    def tier(self, unit: Unit) -> str:
        longest, median, shortest = unit.sides
        for tier in self.data["tiers"]:
            girth = self._length_girth(unit, tier["name"])
            limits = (
                (unit.weight_oz, tier.get("max_unit_weight_oz")),
                (longest, tier.get("max_longest")),
                (median, tier.get("max_median")),
                (shortest, tier.get("max_shortest")),
                (girth, tier.get("max_length_girth")),
            )
            if all(limit is None or value <= Decimal(str(limit)) for value, limit in limits):
                return tier["name"]
        return self.data["tiers"][-1]["name"]

    def _length_girth(self, unit: Unit, tier_name: str) -> Decimal:
        longest, median, shortest = self._bulky_sides(unit, tier_name)
        return longest + 2 * (median + shortest)

    def _bulky_sides(self, unit: Unit, tier_name: str) -> tuple[Decimal, Decimal, Decimal]:
        longest, median, shortest = unit.sides
        if tier_name in ("large bulky", "extra-large"):
            floor = Decimal(str(self.data["bulky_min_side"]))
            median, shortest = max(median, floor), max(shortest, floor)
        return longest, median, shortest

    def shipping_weight_oz(self, unit: Unit, tier_name: str) -> Decimal:
        tier = next(t for t in self.data["tiers"] if t["name"] == tier_name)
        over = tier.get("unit_weight_over_oz")
        if tier["shipping_weight"] == "unit" or (over and unit.weight_oz > Decimal(str(over))):
            return unit.weight_oz
        longest, median, shortest = self._bulky_sides(unit, tier_name)
        dimensional_lb = longest * median * shortest / Decimal(self.data["dimensional_divisor"])
        return max(unit.weight_oz, dimensional_lb * 16)

    def fulfilment_fee(self, unit: Unit, unit_price: Decimal | None) -> tuple[str, Decimal]:
        """(tier, fee per unit) for a unit sold at `unit_price` (None: the standard fees)."""
        tier = self.tier(unit)
        weight = self.shipping_weight_oz(unit, tier)
        band = "low" if unit_price is not None and unit_price < self.low_price_below else "standard"
        fees = [f for f in self.data["fees"] if f["tier"] == tier]
        fee = next((f for f in fees if f["price"] == band), None) or next(
            f for f in fees if f["price"] in ("any", "standard")
        )
        return tier, _bracket_fee(fee, weight)


def _bracket_fee(fee: dict, weight: Decimal) -> Decimal:
    for up_to, amount in fee.get("brackets", []):
        if weight <= up_to:
            return Decimal(amount)
    steps = [fee["above"]] if "above" in fee else fee.get("bands", [])
    for step in steps:
        if "up_to_oz" in step and weight > step["up_to_oz"]:
            continue
        above = max(Decimal(0), weight - step["from_oz"])
        count = math.ceil(above / Decimal(step["step_oz"]))
        return Decimal(step["base"]) + count * Decimal(step["step_fee"])
    raise ValueError(f"no fee for {weight} oz in {fee['tier']}")


def category_key(name: str) -> str:
    """`Beauty, Health & Personal Care` and `beauty health and personal care` are one category."""
    words = re.sub(r"[^\w\s]", " ", name.casefold()).split()
    return " ".join(w for w in words if w != "and")


@dataclass(frozen=True)
class ReferralSchedule:
    marketplace: str
    currency: str
    minimum: Decimal
    categories: dict[str, dict]  # category_key -> rule
    names: dict[str, str]  # category_key -> canonical name
    product_groups: dict[str, str]  # category_key(product group) -> canonical category name
    source: str

    def category(self, referral_category: str | None, product_group: str | None) -> str | None:
        """The schedule's category for a SKU: the catalog's, when it names one; the fee preview's
        product group, mapped, only when the catalog names none. A catalog category the
        schedule does not know is None (category unknown), never replaced by a guess."""
        name = (
            referral_category
            if (referral_category or "").strip()
            else self.product_groups.get(category_key(product_group or ""))
        )
        if name and category_key(name) in self.categories:
            return self.names[category_key(name)]
        return None

    def fee(self, category: str, unit_price: Decimal) -> Decimal:
        """The referral fee for one unit sold at `unit_price` (item + shipping + gift wrap)."""
        rule = self.categories[category_key(category)]
        if "flat" in rule:
            fee = unit_price * Decimal(rule["flat"])
        elif "whole" in rule:
            fee = unit_price * Decimal(_whole_rate(rule["whole"], unit_price))
        else:
            fee, lower = Decimal(0), Decimal(0)
            for band in rule["portion"]:
                upper = Decimal(band["up_to"]) if "up_to" in band else None
                top = unit_price if upper is None else min(unit_price, upper)
                if top > lower:
                    fee += (top - lower) * Decimal(band["rate"])
                if upper is None or unit_price <= upper:
                    break
                lower = upper
        return max(money(fee), self.minimum)


def _whole_rate(bands: list[dict], price: Decimal) -> str:
    for band in bands:
        if "below" in band and price < Decimal(band["below"]):
            return band["rate"]
        if "up_to" in band and price <= Decimal(band["up_to"]):
            return band["rate"]
        if "below" not in band and "up_to" not in band:
            return band["rate"]
    return bands[-1]["rate"]


def _read_toml(path: Path | None, default: str) -> tuple[dict, str]:
    if path is not None:
        return tomllib.loads(Path(path).read_text(encoding="utf-8")), str(path)
    text = resources.files("auditor.data").joinpath(default).read_text(encoding="utf-8")
    return tomllib.loads(text), f"built-in {default}"


@cache
def load_rate_card(path: Path | None = None) -> RateCard:
    data, source = _read_toml(path, "us_fba_2024-02-05.toml")
    return RateCard(
        name=data["name"],
        marketplace=data["marketplace"],
        currency=data["currency"],
        effective_from=data["effective_from"],
        effective_to=data.get("effective_to"),
        source=source,
        data=data,
    )


@cache
def load_referral_schedule(path: Path | None = None) -> ReferralSchedule:
    data, source = _read_toml(path, "us_referral_2024.toml")
    categories = {category_key(k): v for k, v in data["categories"].items()}
    names = {category_key(k): k for k in data["categories"]}
    groups = {category_key(k): v for k, v in data.get("product_groups", {}).items()}
    return ReferralSchedule(
        marketplace=data["marketplace"],
        currency=data["currency"],
        minimum=Decimal(data["minimum"]),
        categories=categories,
        names=names,
        product_groups=groups,
        source=source,
    )
