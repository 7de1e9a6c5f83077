"""A simulated FBA seller: twelve months of ordinary business that must give no claim, plus the
planted discrepancies of every rule and their near misses, recorded in `plants`."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from auditor.fees import (
    RateCard,
    Unit,
    builtin_cards,
    in_force,
    load_rate_card,
    load_referral_schedule,
    money,
    on_day,
)
from auditor.samples.catalog import Product

# The audit date of the samples. The year ends inside the US fee card of 2024-02-05 - 2026-01-14,
# the newest card the project ships, so R01 can check every fee in it.
AS_OF = dt.date(2026, 1, 15)
START = AS_OF - dt.timedelta(days=365)
SETTLEMENT_DAYS = 14
FC = ["PHX7", "ONT8", "MDW2", "BFI4", "TEB9"]
LEDGER_DISPOSITION = {
    "SELLABLE": "SELLABLE",
    "DAMAGED": "WAREHOUSE_DAMAGED",
    "CARRIER_DAMAGED": "CARRIER_DAMAGED",
    "CUSTOMER_DAMAGED": "CUSTOMER_DAMAGED",
    "DEFECTIVE": "DEFECTIVE",
}


@dataclass
class Order:
    order_id: str
    product: Product
    qty: int
    purchased: dt.datetime
    posted: dt.datetime
    commission: Decimal  # per unit, positive
    fee: Decimal  # per unit, positive

    @property
    def principal(self) -> Decimal:
        return self.product.price * self.qty

    @property
    def net_per_unit(self) -> Decimal:
        return self.product.price - self.commission - self.fee


@dataclass
class Plant:
    rule: str
    kind: str  # hit | near_miss | pending | expired
    key: str
    quantity: int | None
    amount: Decimal | None
    note: str


@dataclass
class Seller:
    seed: int
    scale: float = 1.0
    ledger: list = field(default_factory=list)
    adjustments: list = field(default_factory=list)
    returns: list = field(default_factory=list)
    reimbursements: list = field(default_factory=list)
    lines: list = field(default_factory=list)  # settlement lines, unsettled
    orders: list[Order] = field(default_factory=list)
    inbound: list = field(default_factory=list)
    removals: list = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.card = load_rate_card()
        self.cards = [c for c in in_force(builtin_cards()) if c.marketplace == "US"]
        self.referral = load_referral_schedule()
        self._ids = defaultdict(int)

    # -- identifiers -------------------------------------------------------------------------
    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def order_id(self) -> str:
        n = self._next("order")
        return f"11{n % 10}-{(n * 7919) % 10_000_000:07d}-{(n * 104_729 + 31) % 10_000_000:07d}"

    def lpn(self) -> str:
        return f"LPN{self._next('lpn') * 7_654_321 % 10**10:010d}"

    # -- money ---------------------------------------------------------------------------------
    def card_on(self, day: dt.date | None) -> RateCard:
        """The US card in force on `day` (a peak season's in its season); the first without."""
        return (on_day(self.cards, "US", day) if day is not None else None) or self.card

    def expected_fee(
        self, product: Product, day: dt.date | None = None, dims: tuple | None = None
    ) -> Decimal:
        """The fulfilment fee of a unit posted on `day`, measured as `dims` (its true ones by
        default)."""
        unit = Unit.of(*(dims or product.dims), "in", product.weight_oz, "oz")
        return self.card_on(day).fulfilment_fee(unit, product.price)[1]

    def expected_commission(self, product: Product) -> Decimal:
        return self.referral.fee(product.category, product.price)

    def line(
        self,
        posted: dt.datetime,
        kind: str,
        order_id: str | None,
        amount_type: str,
        description: str,
        amount: Decimal,
        sku: str | None = None,
        qty: int | None = None,
        adjustment_id: str | None = None,
        shipment_id: str | None = None,
    ) -> None:
        self.lines.append(
            dict(
                posted=posted,
                transaction_type=kind,
                order_id=order_id,
                amount_type=amount_type,
                amount_description=description,
                amount=money(amount),
                sku=sku,
                qty=qty,
                adjustment_id=adjustment_id,
                shipment_id=shipment_id,
            )
        )

    # -- events ------------------------------------------------------------------------------
    def sell(
        self,
        product: Product,
        day: dt.date,
        qty: int = 1,
        fee: Decimal | None = None,
        commission: Decimal | None = None,
        fee_total: Decimal | None = None,
        measured: tuple | None = None,
        fee_extra: Decimal = Decimal(0),
    ) -> Order:
        purchased = dt.datetime.combine(
            day, dt.time(self.rng.randrange(24), self.rng.randrange(60), self.rng.randrange(60))
        )
        posted = purchased + dt.timedelta(days=1, hours=self.rng.randrange(1, 6))
        order = Order(
            self.order_id(),
            product,
            qty,
            purchased,
            posted,
            commission if commission is not None else self.expected_commission(product),
            fee if fee is not None else self.expected_fee(product, posted.date(), measured),
        )
        self.orders.append(order)
        tax = money(order.principal * Decimal("0.07"))
        fee_total = fee_total if fee_total is not None else order.fee * qty + fee_extra
        for amount_type, description, amount in (
            ("ItemPrice", "Principal", order.principal),
            ("ItemPrice", "Tax", tax),
            ("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", -tax),
            ("ItemFees", "Commission", -order.commission * qty),
            ("ItemFees", "FBAPerUnitFulfillmentFee", -fee_total),
        ):
            self.line(
                posted, "Order", order.order_id, amount_type, description, amount, product.sku, qty
            )
        self.ledger_row(
            posted.date(), product, "Shipments", f"Z{order.order_id[-7:]}X", -qty, "SELLABLE", ""
        )
        return order

    def refund(
        self,
        order: Order,
        day: dt.date,
        units: int | None = None,
        principal: Decimal | None = None,
        restocking: Decimal | None = None,
        admin: Decimal | None = None,
    ) -> Decimal:
        """Post a refund (Amazon keeping `admin`, by default the lesser of $5.00 and 20% of the
        referral fee it gives back); returns the seller's net debit."""
        units = order.qty if units is None else units
        posted = dt.datetime.combine(day, dt.time(9 + self.rng.randrange(8), 12, 5))
        adjustment = f"amzn1.adj.{self._next('adj'):08d}"
        principal = order.product.price * units if principal is None else principal
        commission_back = order.commission * units
        if admin is None:
            admin = min(Decimal("5.00"), money(commission_back * Decimal("0.20")))
        sku = order.product.sku
        for amount_type, description, amount in (
            ("ItemPrice", "Principal", -principal),
            ("ItemFees", "Commission", commission_back),
            ("ItemFees", "RefundCommission", -admin),
        ):
            self.line(
                posted,
                "Refund",
                order.order_id,
                amount_type,
                description,
                amount,
                sku,
                units,
                adjustment,
            )
        net = principal - commission_back + admin
        if restocking is not None:
            self.line(
                posted,
                "Refund",
                order.order_id,
                "ItemPrice",
                "RestockingFee",
                restocking,
                sku,
                units,
                adjustment,
            )
            net -= restocking
        return net

    def customer_return(
        self,
        order: Order,
        day: dt.date,
        units: int = 1,
        disposition: str = "SELLABLE",
        status: str = "Unit returned to inventory",
        restocked_after: int | None = 0,
        reason: str = "UNWANTED_ITEM",
    ) -> None:
        product = order.product
        moment = dt.datetime.combine(day, dt.time(self.rng.randrange(24), 3, 57))
        fc = self.rng.choice(FC)
        self.returns.append(
            [
                moment,
                order.order_id,
                product.sku,
                product.asin,
                product.fnsku,
                product.title,
                units,
                fc,
                disposition,
                reason,
                status,
                self.lpn(),
                "",
            ]
        )
        if restocked_after is not None:
            self.ledger_row(
                day + dt.timedelta(days=restocked_after),
                product,
                "CustomerReturns",
                order.order_id,
                units,
                LEDGER_DISPOSITION[disposition],
                "",
                fc,
            )

    def ledger_row(
        self,
        day: dt.date,
        product: Product,
        event: str,
        reference: str,
        qty: int,
        disposition: str,
        reason: str,
        fc: str | None = None,
    ) -> None:
        self.ledger.append(
            [
                day,
                product.fnsku,
                product.asin,
                product.sku,
                product.title,
                event,
                reference,
                qty,
                fc or self.rng.choice(FC),
                disposition,
                reason,
                "US",
                0 if event == "Adjustments" else "",
                qty if event == "Adjustments" else "",
            ]
        )

    def adjust(
        self, day: dt.date, product: Product, qty: int, reason: str, disposition: str = "SELLABLE"
    ) -> str:
        reference = f"{self._next('txn') * 48_271 % 10**11:011d}"
        self.ledger_row(day, product, "Adjustments", reference, qty, disposition, reason)
        return reference

    def reimburse(
        self,
        day: dt.date,
        reason: str,
        product: Product,
        cash: int = 0,
        inventory: int = 0,
        order_id: str | None = None,
        per_unit: Decimal | None = None,
        original: str | None = None,
        case_id: str = "",
    ) -> str:
        rid = f"{2_000_000_000 + self._next('reimb') * 7_777:010d}"
        per_unit = product.cost if per_unit is None else per_unit
        per_unit = per_unit if per_unit is not None else money(product.price * Decimal("0.6"))
        amount = per_unit * cash
        moment = dt.datetime.combine(day, dt.time(14, 20, 11))
        self.reimbursements.append(
            [
                moment,
                rid,
                case_id,
                order_id or "",
                reason,
                product.sku,
                product.fnsku,
                product.asin,
                product.title,
                "New" if reason != "CustomerReturn" else "Used",
                "USD",
                per_unit,
                amount,
                cash,
                inventory,
                cash + inventory,
                original or "",
                "" if original is None else "Lost_Warehouse",
            ]
        )
        if amount:
            description = {
                "Lost_Warehouse": "WAREHOUSE_LOST",
                "Damaged_Warehouse": "WAREHOUSE_DAMAGE",
                "Lost_Inbound": "MISSING_FROM_INBOUND",
                "Damaged_Inbound": "INBOUND_CARRIER_DAMAGE",
                "CustomerReturn": "Customer Return",
                "Reimbursement_Reversal": "REVERSAL_REIMBURSEMENT",
            }.get(reason, reason)
            self.line(
                moment,
                "other-transaction",
                order_id,
                "FBA Inventory Reimbursement",
                description,
                amount,
                product.sku,
            )
        return rid

    def ship_in(
        self,
        shipment_id: str,
        product: Product,
        shipped: int,
        received: int,
        arrived: dt.date,
        status: str = "CLOSED",
        closed: dt.date | None = None,
    ) -> None:
        first = received // 2
        for day, qty in ((arrived, first), (arrived + dt.timedelta(days=2), received - first)):
            if qty:
                self.ledger_row(day, product, "Receipts", shipment_id, qty, "SELLABLE", "")
        closed = closed or (arrived + dt.timedelta(days=2) if status == "CLOSED" else None)
        self.inbound.append(
            [
                shipment_id,
                f"FBA ({arrived:%m/%d/%Y}) - {product.sku}",
                status,
                product.sku,
                product.fnsku,
                shipped,
                received,
                0,
                closed.isoformat() if closed else "",
            ]
        )
