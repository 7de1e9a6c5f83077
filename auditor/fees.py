"""The reference fee cards: size tier, shipping weight, FBA fulfilment fee and
referral fee for a unit, in exact decimals. The cards are data files in `auditor/data/`; a user
may pass their own with --rates."""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

CENT = Decimal("0.01")
# Exact factors to centimetres and grams (an inch is 2.54 cm, a pound 453.59237 g, by definition),
# so that a size given in either system meets a limit given in either without rounding.
CENTIMETRES = {
    "in": Decimal("2.54"),
    "inches": Decimal("2.54"),
    "cm": Decimal(1),
    "centimeters": Decimal(1),
    "centimetres": Decimal(1),
    "mm": Decimal("0.1"),
    "millimeters": Decimal("0.1"),
    "millimetres": Decimal("0.1"),
}
GRAMS = {
    "oz": Decimal("28.349523125"),
    "ounces": Decimal("28.349523125"),
    "lb": Decimal("453.59237"),
    "lbs": Decimal("453.59237"),
    "pounds": Decimal("453.59237"),
    "g": Decimal(1),
    "grams": Decimal(1),
    "kg": Decimal(1000),
    "kilograms": Decimal(1000),
}
# A card's units: lengths and weights, and the larger weight unit its dimensional divisor gives
# (cubic inches per pound, cubic centimetres per kilogram).
CARD_UNITS = {"imperial": ("in", "oz", Decimal(16)), "metric": ("cm", "g", Decimal(1000))}
LIMITS = ("unit_weight", "longest", "median", "shortest", "length_girth", "dimensional_weight")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Unit:
    """A product's measured package: three sides (longest first) in centimetres and its weight in
    grams, exactly as converted from the units it was given in."""

    sides_cm: tuple[Decimal, Decimal, Decimal]
    weight_g: Decimal

    @classmethod
    def of(cls, a, b, c, dimension_unit: str, weight, weight_unit: str) -> Unit:
        to_cm = CENTIMETRES[dimension_unit.strip().lower()]
        to_g = GRAMS[weight_unit.strip().lower()]
        sides = sorted((Decimal(str(v)) * to_cm for v in (a, b, c)), reverse=True)
        return cls((sides[0], sides[1], sides[2]), Decimal(str(weight)) * to_g)

    def sides_in(self, length_unit: str) -> tuple[Decimal, Decimal, Decimal]:
        factor = CENTIMETRES[length_unit]
        return tuple(side / factor for side in self.sides_cm)  # type: ignore[return-value]

    def weight_in(self, weight_unit: str) -> Decimal:
        return self.weight_g / GRAMS[weight_unit]

    @property
    def sides(self) -> tuple[Decimal, Decimal, Decimal]:
        return self.sides_in("in")

    @property
    def weight_oz(self) -> Decimal:
        return self.weight_in("oz")


@dataclass(frozen=True)
class PriceBand:
    """A range of unit prices with its own fees: up to `limit` (`inclusive` or not), past the
    previous band's limit; the last band has no limit. `by_category` gives some categories their
    own limit."""

    name: str
    limit: Decimal | None
    inclusive: bool
    by_category: dict[str, Decimal]

    def limit_for(self, category: str | None, known: bool) -> Decimal | None:
        """The band's limit for a SKU of `category`; for a SKU whose category is not `known`, the
        lowest limit the band has (so an unknown category never expects the cheaper fee)."""
        if self.limit is None:
            return None
        if not known:
            return min([self.limit, *self.by_category.values()])
        return self.by_category.get(category_key(category or ""), self.limit)


@dataclass(frozen=True)
class RateCard:
    name: str
    marketplace: str
    currency: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str
    data: dict
    priority: int = 0  # where cards overlap, the higher applies (a peak card over its season)

    @cached_property
    def units(self) -> tuple[str, str, Decimal]:
        return CARD_UNITS[self.data.get("units", "imperial")]

    @cached_property
    def bands(self) -> list[PriceBand]:
        """The card's price bands, cheapest first; a card of one price has one band, `any`."""
        if "price_bands" in self.data:
            bands = self.data["price_bands"]
        elif "low_price_below" in self.data:
            bands = [{"name": "low", "below": self.data["low_price_below"]}, {"name": "standard"}]
        else:
            bands = [{"name": "standard"}]
        out = []
        for band in bands:
            limit = band.get("below", band.get("up_to"))
            by_category = band.get("below_by_category", band.get("up_to_by_category", {}))
            out.append(
                PriceBand(
                    band["name"],
                    None if limit is None else Decimal(limit),
                    "up_to" in band,
                    {category_key(k): Decimal(v) for k, v in by_category.items()},
                )
            )
        return out

    @property
    def surcharges(self) -> list[dict]:
        """Percentages added to the fulfilment fee from a date (a fuel and logistics
        surcharge): name, rate, effective_from, effective_to."""
        return self.data.get("surcharges", [])

    def tier_rank(self, name: str | None) -> int | None:
        """A tier's place in the card, smallest first; None for a name the card does not use."""
        names = [t["name"] for t in self.tiers]
        wanted = (name or "").strip().lower()
        return names.index(wanted) if wanted in names else None

    def _limit(self, tier: dict, name: str):
        """A tier's limit in the card's units, whatever suffix the card wrote it with."""
        length, weight, _ = self.units
        for key in (f"max_{name}", f"max_{name}_{length}", f"max_{name}_{weight}"):
            if key in tier:
                return Decimal(str(tier[key]))
        return None

    @cached_property
    def _tier_limits(self) -> list[tuple[str, tuple[tuple[str, Decimal], ...]]]:
        """Each tier's name and the limits it sets, read once."""
        return [
            (t["name"], tuple((n, lim) for n in LIMITS if (lim := self._limit(t, n)) is not None))
            for t in self.tiers
        ]

    def tier(self, unit: Unit) -> str:
        unit_weight = unit.weight_in(self.units[1])
        for name, limits in self._tier_limits:
            sides = self._sides(unit, name)
            if all(
                self._measure(unit, name, what, sides, unit_weight) <= limit
                for what, limit in limits
            ):
                return name
        return self.tiers[-1]["name"]

    def _measure(self, unit: Unit, tier_name: str, what: str, sides, unit_weight) -> Decimal:
        """The measure a tier limit `what` is set on, worked out only when a limit needs it."""
        longest, median, shortest = sides
        if what == "unit_weight":
            return unit_weight
        if what == "length_girth":
            return longest + 2 * (median + shortest)
        if what == "dimensional_weight":
            return self._dimensional(unit, tier_name)
        return {"longest": longest, "median": median, "shortest": shortest}[what]

    @cached_property
    def tiers(self) -> list[dict]:
        """The tiers every product is sized into (those only for some categories left out)."""
        return [t for t in self.data["tiers"] if "only_for" not in t]

    def _sides(self, unit: Unit, tier_name: str) -> tuple[Decimal, Decimal, Decimal]:
        longest, median, shortest = unit.sides_in(self.units[0])
        if tier_name in self.data.get("min_side_tiers", ("large bulky", "extra-large")):
            floor = Decimal(str(self.data.get("bulky_min_side", 0)))
            median, shortest = max(median, floor), max(shortest, floor)
        return longest, median, shortest

    def _dimensional(self, unit: Unit, tier_name: str) -> Decimal:
        """Dimensional weight in the card's weight unit."""
        divisor = self.data.get("dimensional_divisor") or self.data.get(
            "dimensional_divisor_cm3_per_kg"
        )
        longest, median, shortest = self._sides(unit, tier_name)
        return longest * median * shortest / Decimal(str(divisor)) * self.units[2]

    def shipping_weight(self, unit: Unit, tier_name: str, rule: str | None = None) -> Decimal:
        """The weight a tier's fee is read at: the unit weight, or the greater of it and the
        dimensional weight (`rule` overrides the tier's, for fee tables weighed otherwise)."""
        weight_unit = self.units[1]
        tier = next(t for t in self.data["tiers"] if t["name"] == tier_name)
        unit_weight = unit.weight_in(weight_unit)
        over = tier.get(f"unit_weight_over_{weight_unit}")
        if (rule or tier["shipping_weight"]) == "unit" or (
            over and unit_weight > Decimal(str(over))
        ):
            return unit_weight
        return max(unit_weight, self._dimensional(unit, tier_name))

    def shipping_weight_oz(self, unit: Unit, tier_name: str) -> Decimal:
        return self.shipping_weight(unit, tier_name) * GRAMS[self.units[1]] / GRAMS["oz"]

    def band_fee(self, unit: Unit, band: str, tier: str | None = None) -> tuple[str, Decimal]:
        """(tier, fee per unit) in price band `band` (`tier`: the unit's, when already known). A
        tier without fees of its own in the band pays its `any` fees, else those of the card's
        last band."""
        tier = tier or self.tier(unit)
        fees = [
            f
            for f in self.data["fees"]
            if f["tier"] == tier and "only_for" not in f and not f.get("incomplete")
        ]
        last = self.bands[-1].name
        fee = next(
            (f for wanted in (band, "any", last, "standard") for f in fees if f["price"] == wanted),
            None,
        )
        if fee is None:
            raise ValueError(f"{self.name}: no fee for {tier} in band {band}")
        weight = self.shipping_weight(unit, tier, fee.get("shipping_weight"))
        # a per-unit amount some sellers pay on top (outside Amazon's Central Europe Programme,
        # in Germany): included, so that no seller is claimed for it
        added = Decimal(self.data.get("added_per_unit", "0"))
        try:
            return tier, _bracket_fee(fee, weight, self.units[1]) + added
        except ValueError:
            if band == last:
                raise
            return self.band_fee(unit, last, tier)  # past a band's brackets: the standard fee

    def band_of(self, unit_price: Decimal | None, category: str | None = None) -> str:
        """The price band of a unit price (None: the last, standard, band)."""
        bands = self.bands
        if unit_price is None:
            return bands[-1].name
        for band in bands:
            limit = band.limit_for(category, category is not None)
            if limit is None or unit_price < limit or (band.inclusive and unit_price == limit):
                return band.name
        return bands[-1].name

    def fulfilment_fee(
        self, unit: Unit, unit_price: Decimal | None, category: str | None = None
    ) -> tuple[str, Decimal]:
        """(tier, fee per unit) for a unit sold at `unit_price` (None: the standard fees)."""
        return self.band_fee(unit, self.band_of(unit_price, category))

    def surcharge_rate(self, day: dt.date) -> Decimal:
        return sum(
            (
                Decimal(s["rate"])
                for s in self.surcharges
                if s["effective_from"] <= day <= s.get("effective_to", dt.date.max)
            ),
            Decimal(0),
        )


def _bracket_fee(fee: dict, weight: Decimal, unit: str = "oz") -> Decimal:
    for up_to, amount in fee.get("brackets", []):
        if weight <= Decimal(str(up_to)):
            return Decimal(amount)
    steps = [fee["above"]] if "above" in fee else fee.get("bands", [])
    for step in steps:
        up_to = step.get(f"up_to_{unit}")
        if up_to is not None and weight > Decimal(str(up_to)):
            continue
        above = max(Decimal(0), weight - Decimal(str(step[f"from_{unit}"])))
        count = math.ceil(above / Decimal(str(step[f"step_{unit}"])))
        return Decimal(step["base"]) + count * Decimal(step["step_fee"])
    raise ValueError(f"no fee for {weight} {unit} in {fee['tier']}")


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
    effective_from: dt.date = dt.date(2000, 1, 1)
    effective_to: dt.date | None = None
    priority: int = 0  # a seller's own schedule (2) over a built-in one (0)

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
        minimum = Decimal(rule["minimum"]) if "minimum" in rule else self.minimum
        return max(money(fee), minimum)


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
    """A TOML file: the user's at `path`, else the built-in `default`."""
    if path is not None:
        return tomllib.loads(Path(path).read_text(encoding="utf-8")), str(path)
    text = resources.files("auditor.data").joinpath(default).read_text(encoding="utf-8")
    return tomllib.loads(text), f"built-in {default}"


@cache
def load_rate_card(path: Path | None = None, default: str = "us_fba_2024-02-05.toml") -> RateCard:
    data, source = _read_toml(path, default)
    return RateCard(
        name=data["name"],
        marketplace=data["marketplace"],
        currency=data["currency"],
        effective_from=data["effective_from"],
        effective_to=data.get("effective_to"),
        source=source,
        data=data,
        priority=1 if data.get("season") == "peak" else 0,
    )


def builtin_names(kind: str) -> list[str]:
    """The data files of a kind (`fba`, `referral`) built in, e.g. `uk_fba_2026-02-01.toml`."""
    return sorted(
        f.name for f in resources.files("auditor.data").iterdir() if f"_{kind}_" in f.name
    )


def builtin_cards() -> list[RateCard]:
    return [load_rate_card(None, name) for name in builtin_names("fba")]


def on_day(items: list, marketplace: str, day: dt.date):
    """The card or schedule of `items` (laid out by `in_force`) that applies in `marketplace` on
    `day`, or None."""
    return next(
        (
            x
            for x in items
            if x.marketplace == marketplace
            and x.effective_from <= day <= (x.effective_to or dt.date.max)
        ),
        None,
    )


def in_force(cards: list) -> list:
    """The cards as they apply, day by day: where two of a marketplace overlap, the one of
    higher priority (a seller's own over a built-in, a peak season's over the year's) holds its
    days and the other keeps the rest, split around them if need be."""
    out: list = []
    for card in sorted(cards, key=lambda c: -c.priority):
        pieces = [card]
        for held in out:
            if held.marketplace != card.marketplace or held.priority == card.priority:
                continue
            start, end = held.effective_from, held.effective_to or dt.date.max
            rest = []
            for piece in pieces:
                to = piece.effective_to or dt.date.max
                if to < start or piece.effective_from > end:
                    rest.append(piece)
                    continue
                if piece.effective_from < start:
                    rest.append(replace(piece, effective_to=start - dt.timedelta(days=1)))
                if to > end:
                    rest.append(replace(piece, effective_from=end + dt.timedelta(days=1)))
            pieces = rest
        out.extend(pieces)
    return sorted(out, key=lambda c: (c.marketplace, c.effective_from))


@cache
def load_referral_schedule(
    path: Path | None = None, default: str = "us_referral_2024.toml"
) -> ReferralSchedule:
    data, source = _read_toml(path, default)
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
        effective_from=data.get("effective_from", dt.date(2000, 1, 1)),
        effective_to=data.get("effective_to"),
    )


def builtin_schedules() -> list[ReferralSchedule]:
    return [load_referral_schedule(None, name) for name in builtin_names("referral")]


class FeeDataError(Exception):
    """A fee card or referral schedule file that cannot be used, with where and why."""


CARD_EXAMPLE = "auditor/data/us_fba_2024-02-05.toml"
SCHEDULE_EXAMPLE = "auditor/data/us_referral_2024.toml"


def _parse(path: Path, what: str, example: str) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise FeeDataError(
            f"{path}: not a {what} ({error}); write it as TOML like {example}"
        ) from None


def _need(path, data: dict, field: str, kind, example: str, where: str = ""):
    value = data.get(field)
    names = {str: "text", dt.date: "a date like 2026-01-15", list: "a list", dict: "a table"}
    if value is None or not isinstance(value, kind):
        raise FeeDataError(
            f"{path}: {where}{field} must be {names.get(kind, kind.__name__)}"
            f"{' (it is missing)' if value is None else ''}; see {example}"
        )
    return value


def _amount(path, value, field: str, example: str) -> None:
    try:
        Decimal(str(value))
    except ArithmeticError:
        raise FeeDataError(
            f'{path}: {field} must be an amount like "3.24", not {value!r}; see {example}'
        ) from None


def check_rate_card(path: Path) -> RateCard:
    """Read and check a seller's fee card before any work starts."""
    data = _parse(path, "fee card", CARD_EXAMPLE)
    if "categories" in data and "tiers" not in data:
        raise FeeDataError(f"{path}: this is a referral schedule; pass it with --referral")
    for field, kind in (
        ("name", str),
        ("marketplace", str),
        ("currency", str),
        ("effective_from", dt.date),
        ("tiers", list),
        ("fees", list),
    ):
        _need(path, data, field, kind, CARD_EXAMPLE)
    names = set()
    for n, tier in enumerate(data["tiers"], start=1):
        where = f"tier {n}: "
        names.add(_need(path, tier, "name", str, CARD_EXAMPLE, where))
        if tier.get("shipping_weight") not in ("unit", "greater"):
            raise FeeDataError(
                f'{path}: {where}shipping_weight must be "unit" or "greater"; see {CARD_EXAMPLE}'
            )
    for n, fee in enumerate(data["fees"], start=1):
        where = f"fee {n}: "
        tier = _need(path, fee, "tier", str, CARD_EXAMPLE, where)
        if tier not in names:
            raise FeeDataError(f"{path}: {where}tier {tier!r} is not one of the card's tiers")
        _need(path, fee, "price", str, CARD_EXAMPLE, where)
        for bracket in fee.get("brackets", []):
            if not isinstance(bracket, list) or len(bracket) != 2:
                raise FeeDataError(
                    f'{path}: {where}brackets must be [up to, "fee"] pairs; see {CARD_EXAMPLE}'
                )
            _amount(path, bracket[1], f"{where}bracket fee", CARD_EXAMPLE)
    try:
        return load_rate_card(Path(path))
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise FeeDataError(
            f"{path}: cannot be used as a fee card ({error}); see {CARD_EXAMPLE}"
        ) from None


def check_referral_schedule(path: Path) -> ReferralSchedule:
    """Read and check a seller's referral schedule before any work starts."""
    data = _parse(path, "referral schedule", SCHEDULE_EXAMPLE)
    if "tiers" in data and "categories" not in data:
        raise FeeDataError(f"{path}: this is a fee card; pass it with --rates")
    for field, kind in (
        ("marketplace", str),
        ("currency", str),
        ("minimum", str),
        ("categories", dict),
    ):
        _need(path, data, field, kind, SCHEDULE_EXAMPLE)
    _amount(path, data["minimum"], "minimum", SCHEDULE_EXAMPLE)
    for name, rule in data["categories"].items():
        if not isinstance(rule, dict) or not ({"flat", "whole", "portion"} & set(rule)):
            raise FeeDataError(
                f"{path}: category {name!r} needs a flat rate, whole-price or portion bands; "
                f"see {SCHEDULE_EXAMPLE}"
            )
    try:
        return load_referral_schedule(Path(path))
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise FeeDataError(
            f"{path}: cannot be used as a referral schedule ({error}); see {SCHEDULE_EXAMPLE}"
        ) from None
