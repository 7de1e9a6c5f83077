"""What happens to the sample seller: ordinary business, then the planted cases.

Ordinary business is clean by construction (fees at the card's rate, every refund returned and
restocked, every loss found or reimbursed), so each finding the rules make traces to a plant."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from auditor.fees import money
from auditor.samples.catalog import BY_SKU, PRODUCTS, Product
from auditor.samples.seller import AS_OF, START, Plant, Seller

DAY = dt.timedelta(days=1)
SPATULA_OVERCHARGE_FROM = dt.date(2025, 8, 1)
SERUM_OVERCHARGE_FROM = dt.date(2025, 11, 1)
SPATULA_MEASURED = (Decimal("12"), Decimal("2.5"), Decimal("1.1"))  # Amazon's wrong measurement


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def charges(s: Seller, product: Product, day: dt.date, qty: int):
    """(dimensions Amazon charges the fee for, commission per unit, extra on the fee total) of
    an ordinary order; its fee is the card's of the day it is posted."""
    measured, commission, extra = None, s.expected_commission(product), Decimal(0)
    if product.sku == "KS-SPAT-SIL" and day >= SPATULA_OVERCHARGE_FROM:
        measured = SPATULA_MEASURED  # large standard
    if product.sku == "BT-SERUM-30" and day >= SERUM_OVERCHARGE_FROM:
        commission = money(product.price * Decimal("0.15"))  # charged at 15%, not 8%
    if product.sku == "HM-CANDLE-SOY" and qty == 2:
        extra = Decimal("0.01")  # half a cent a unit: under tolerance
    return measured, commission, extra


def ordinary_business(s: Seller) -> None:
    rng = s.rng
    sellable = [p for p in PRODUCTS if p.popularity > 0]
    weights = [p.popularity for p in sellable]
    last = AS_OF - DAY
    day = START
    while day < AS_OF:
        mean = 12 * s.scale
        for _ in range(max(0, round(rng.gauss(mean, math.sqrt(mean))))):
            product = rng.choices(sellable, weights)[0]
            qty = 2 if rng.random() < 0.08 else 1
            measured, commission, extra = charges(s, product, day, qty)
            order = s.sell(
                product, day, qty, commission=commission, measured=measured, fee_extra=extra
            )
            roll = rng.random()
            back = order.posted.date() + rng.randint(4, 20) * DAY
            refunded = back + rng.randint(0, 2) * DAY
            if refunded >= last:
                continue
            if roll < 0.03:
                s.customer_return(
                    order,
                    back,
                    order.qty,
                    restocked_after=min(rng.randint(0, 6), (last - back).days),
                )
                s.refund(order, refunded)
            elif roll < 0.035:
                # Buyer damaged it: the seller keeps a restocking fee, correctly credited.
                s.customer_return(
                    order,
                    back,
                    order.qty,
                    "CUSTOMER_DAMAGED",
                    restocked_after=0,
                    reason="DAMAGED_BY_CUSTOMER",
                )
                s.refund(order, refunded, restocking=money(order.principal * Decimal("0.20")))
        day += DAY

    # Inbound: each product is replenished every two months, fully received.
    for n, product in enumerate(PRODUCTS):
        if product.popularity == 0:
            continue
        for k in range(6):
            arrived = START + (10 + k * 60 + n) * DAY
            if arrived >= AS_OF - 20 * DAY:
                break
            qty = 20 * (1 + product.popularity // 5) * max(1, round(s.scale))
            s.ship_in(
                f"FBA15{n:02d}{k}{product.sku[:2]}N{(n * 31 + k) % 97:02d}",
                product,
                qty,
                qty,
                arrived,
            )

    # Warehouse losses that Amazon made good: found again, or reimbursed.
    day = START + 20 * DAY
    while day < AS_OF - 90 * DAY:
        product = rng.choice([p for p in PRODUCTS if p.popularity > 0])
        if rng.random() < 0.5:
            s.adjust(day, product, -1, "M")
            s.adjust(day + rng.randint(3, 12) * DAY, product, 1, "F")
        else:
            reason = rng.choice(["M", "E"])
            s.adjust(day, product, -1, reason)
            s.reimburse(
                day + rng.randint(10, 25) * DAY,
                "Lost_Warehouse" if reason == "M" else "Damaged_Warehouse",
                product,
                cash=1,
            )
        day += rng.randint(10, 20) * DAY


def plant_cases(s: Seller) -> None:
    for plant in (
        _r01, _r02, _r03, _r04, _r05, _r06, _r07, _r08, _r09, _r10, _removals, _r11, _r12,
        _r13, _r14,
    ):  # fmt: skip
        plant(s)


def _add(s: Seller, rule, kind, key, quantity=None, amount=None, note="") -> None:
    s.plants.append(Plant(rule, kind, key, quantity, amount, note))


def _r01(s: Seller) -> None:
    _add(
        s,
        "R01",
        "hit",
        "KS-SPAT-SIL",
        None,
        None,
        "true package 12x2.5x0.6 in, 4.8 oz is small standard ($3.24); charged the large "
        f"standard $3.90 since {SPATULA_OVERCHARGE_FROM} after Amazon measured 1.1 in",
    )
    _add(
        s,
        "R01",
        "near_miss",
        "HM-CANDLE-SOY",
        None,
        None,
        "two-unit orders charged one cent over: half a cent a unit, under tolerance",
    )


def _r10(s: Seller) -> None:
    _add(
        s,
        "R10",
        "hit",
        "BT-SERUM-30",
        None,
        None,
        f"Beauty at $9.49 is 8% ($0.76); charged 15% ($1.42) since {SERUM_OVERCHARGE_FROM}",
    )
    _add(
        s,
        "R10",
        "near_miss",
        "AP-TEE-BLK",
        None,
        None,
        "Clothing at $17.99 is 10%, charged 10%: the $15-20 band, not 17%",
    )
    _add(
        s,
        "R10",
        "near_miss",
        "KS-CLIP-4PK",
        None,
        None,
        "15% of $6.49 is $0.97: above the $0.30 minimum, charged right",
    )


def _r02(s: Seller) -> None:
    towel, puzzle, bottle = BY_SKU["HM-TOWEL-SET"], BY_SKU["TY-PUZZLE-500"], BY_SKU["SP-BOTTLE-1L"]
    leash, planner, bib = BY_SKU["PT-LEASH-6FT"], BY_SKU["OF-PLANNER-A5"], BY_SKU["BB-BIB-3PK"]
    cable, tea, vase = BY_SKU["EL-CABLE-USBC"], BY_SKU["GR-TEA-20"], BY_SKU["HM-VASE-LG"]
    s.adjust(d("2025-12-20"), towel, -3, "M")
    _add(s, "R02", "hit", towel.fnsku, 3, towel.cost * 3, "3 lost, never found or reimbursed")
    s.adjust(d("2025-11-25"), puzzle, -2, "E")
    s.reimburse(d("2025-12-20"), "Damaged_Warehouse", puzzle, cash=1)
    _add(
        s,
        "R02",
        "hit",
        puzzle.fnsku,
        1,
        puzzle.cost,
        "2 damaged, 1 reimbursed: 1 left, 9 days before its deadline (expiring)",
    )
    s.adjust(d("2025-11-10"), bottle, -1, "M")
    s.adjust(d("2025-11-17"), bottle, 1, "F")
    _add(s, "R02", "near_miss", bottle.fnsku, note="lost, found a week later")
    s.adjust(d("2025-12-05"), leash, -2, "M")
    s.reimburse(d("2025-12-19"), "Lost_Warehouse", leash, cash=1, inventory=1)
    _add(s, "R02", "near_miss", leash.fnsku, note="2 lost, reimbursed 1 in cash, 1 in inventory")
    s.adjust(d("2025-12-08"), planner, -1, "M")
    paid = s.reimburse(d("2025-12-15"), "Lost_Warehouse", planner, cash=1)
    s.reimburse(
        d("2025-12-30"),
        "Reimbursement_Reversal",
        planner,
        cash=-1,
        per_unit=planner.cost,
        original=paid,
    )
    _add(
        s,
        "R02",
        "hit",
        planner.fnsku,
        1,
        planner.cost,
        "lost, reimbursed, reimbursement reversed: the claim comes back",
    )
    s.adjust(d("2025-12-11"), bib, -1, "H", "CUSTOMER_DAMAGED")
    s.adjust(d("2025-12-12"), bib, -1, "7", "EXPIRED")
    _add(s, "R02", "near_miss", bib.fnsku, note="customer damaged (H) and expired (7)")
    s.adjust(d("2025-08-31"), cable, -2, "M")
    _add(
        s,
        "R02",
        "expired",
        cable.fnsku,
        2,
        cable.cost * 2,
        "lost 198 days before the audit, window closed",
    )
    s.adjust(d("2025-12-25"), tea, -1, "5")
    _add(s, "R02", "hit", tea.fnsku, 1, None, "no catalog cost: valued at median net proceeds")
    s.adjust(d("2026-01-01"), vase, -1, "M")
    _add(s, "R02", "hit", vase.fnsku, 1, None, "no cost and never sold: valuation unknown")


def _r03(s: Seller) -> None:
    blocks, knife = BY_SKU["TY-BLOCKS-100"], BY_SKU["KS-KNIFE-8IN"]
    order = s.sell(blocks, d("2025-10-05"), qty=2)
    s.customer_return(order, d("2025-10-18"), units=1)
    s.refund(order, d("2025-10-20"), units=2)
    _add(
        s,
        "R03",
        "hit",
        order.order_id,
        1,
        blocks.price,
        "refunded 2 units, 1 came back, 87 days since the refund",
    )
    order = s.sell(knife, d("2025-11-20"))
    s.customer_return(order, d("2025-11-29"))
    s.refund(order, d("2025-12-01"), principal=Decimal("39.99"))
    _add(s, "R03", "hit", order.order_id, None, Decimal("5.00"), "refunded $39.99 on a $34.99 sale")
    order = s.sell(blocks, d("2025-12-01"), qty=2)
    s.customer_return(order, d("2025-12-10"), units=1)
    s.refund(order, d("2025-12-12"), units=2)
    _add(
        s,
        "R03",
        "pending",
        order.order_id,
        1,
        blocks.price,
        "refunded 2, 1 returned, only 34 days since the refund",
    )
    order = s.sell(blocks, d("2025-08-31"), qty=2)
    s.customer_return(order, d("2025-09-09"), units=1)
    s.refund(order, d("2025-09-11"), units=2)
    s.reimburse(
        d("2025-11-15"),
        "CustomerReturn",
        blocks,
        cash=1,
        order_id=order.order_id,
        per_unit=blocks.price,
    )
    _add(s, "R03", "near_miss", order.order_id, note="unreturned unit already reimbursed")


def _r04(s: Seller) -> None:
    mat, bands, socks = BY_SKU["SP-YOGA-MAT"], BY_SKU["SP-BANDS-SET"], BY_SKU["AP-SOCKS-6PK"]
    s.ship_in("FBA15HKSH0RT", mat, 60, 56, d("2025-12-21"), closed=d("2025-12-25"))
    s.reimburse(d("2026-01-05"), "Lost_Inbound", mat, cash=1, order_id="FBA15HKSH0RT")
    _add(
        s,
        "R04",
        "hit",
        f"FBA15HKSH0RT/{mat.fnsku}",
        3,
        mat.cost * 3,
        "shipped 60, received 56, 1 reimbursed",
    )
    s.ship_in("FBA15RCV1NG2", bands, 40, 35, d("2026-01-08"), status="RECEIVING")
    _add(s, "R04", "near_miss", f"FBA15RCV1NG2/{bands.fnsku}", note="shipment still RECEIVING")
    s.ship_in("FBA15PA1DUP3", socks, 50, 48, d("2025-12-02"), closed=d("2025-12-06"))
    s.reimburse(d("2025-12-28"), "Lost_Inbound", socks, cash=2, order_id="FBA15PA1DUP3")
    _add(s, "R04", "near_miss", f"FBA15PA1DUP3/{socks.fnsku}", note="shortage reimbursed")


def _r05(s: Seller) -> None:
    mug = BY_SKU["HM-MUG-2PK"]
    order = s.sell(mug, d("2025-11-28"))
    s.customer_return(order, d("2025-12-10"), restocked_after=None)
    s.refund(order, d("2025-12-11"))
    _add(
        s,
        "R05",
        "hit",
        f"{order.order_id}/{mug.fnsku}",
        1,
        order.net_per_unit,
        "returned to inventory per the returns report; the ledger never added it back",
    )
    order = s.sell(mug, d("2025-11-30"))
    s.customer_return(order, d("2025-12-12"), restocked_after=18)
    s.refund(order, d("2025-12-13"))
    _add(
        s,
        "R05",
        "near_miss",
        f"{order.order_id}/{mug.fnsku}",
        note="restocked 18 days after the return",
    )


def _r06(s: Seller) -> None:
    phones = BY_SKU["EL-HEADPH-BT"]
    order = s.sell(phones, d("2025-11-05"))
    s.customer_return(
        order, d("2025-11-20"), disposition="CUSTOMER_DAMAGED", reason="DAMAGED_BY_CUSTOMER"
    )
    s.refund(order, d("2025-11-22"))
    _add(
        s,
        "R06",
        "hit",
        order.order_id,
        1,
        money(phones.price * Decimal("0.20")),
        "customer-damaged return refunded in full, no restocking fee credited",
    )
    order = s.sell(phones, d("2025-11-07"))
    s.customer_return(
        order, d("2025-11-21"), disposition="CUSTOMER_DAMAGED", reason="DAMAGED_BY_CUSTOMER"
    )
    s.refund(order, d("2025-11-23"), restocking=money(phones.price * Decimal("0.20")))
    _add(s, "R06", "near_miss", order.order_id, note="restocking fee credited")


def _r07(s: Seller) -> None:
    bands, honey = BY_SKU["SP-BANDS-SET"], BY_SKU["GR-HONEY-500"]
    order = s.sell(bands, d("2025-09-27"))
    net = s.refund(order, d("2025-10-05"))
    _add(s, "R07", "hit", order.order_id, 1, net, "refunded, never returned, 102 days")
    order = s.sell(bands, d("2025-09-09"))
    s.refund(order, d("2025-09-19"))
    s.customer_return(order, d("2025-09-19") + 59 * DAY)
    _add(s, "R07", "near_miss", order.order_id, note="the return arrived on day 59")
    order = s.sell(honey, d("2025-09-14"))
    s.refund(order, d("2025-09-24"))
    s.reimburse(
        d("2025-11-30"),
        "CustomerReturn",
        honey,
        cash=1,
        order_id=order.order_id,
        per_unit=honey.price,
    )
    _add(s, "R07", "near_miss", order.order_id, note="already reimbursed under CustomerReturn")
    order = s.sell(honey, d("2025-12-10"))
    net = s.refund(order, d("2025-12-20"))
    _add(s, "R07", "pending", order.order_id, 1, net, "refunded 26 days ago, not yet returned")


def _r08(s: Seller) -> None:
    board, pens = BY_SKU["KS-BOARD-BAMB"], BY_SKU["OF-PENS-12"]
    s.ship_in("FBA15DEDUCT4", board, 30, 30, d("2025-11-16"), closed=d("2025-11-20"))
    s.ledger_row(d("2025-12-05"), board, "Receipts", "FBA15DEDUCT4", -2, "SELLABLE", "")
    _add(
        s,
        "R08",
        "hit",
        f"FBA15DEDUCT4/{board.fnsku}",
        2,
        board.cost * 2,
        "2 received units taken back 15 days after closure",
    )
    s.ship_in("FBA15REST0R5", pens, 24, 24, d("2025-11-21"), closed=d("2025-11-25"))
    s.ledger_row(d("2025-12-02"), pens, "Receipts", "FBA15REST0R5", -1, "SELLABLE", "")
    s.ledger_row(d("2025-12-09"), pens, "Receipts", "FBA15REST0R5", 1, "SELLABLE", "")
    _add(
        s, "R08", "near_miss", f"FBA15REST0R5/{pens.fnsku}", note="deduction put back a week later"
    )


def _r09(s: Seller) -> None:
    house, bowl, bed = BY_SKU["TY-DOLL-HOUSE"], BY_SKU["PT-BOWL-STEEL"], BY_SKU["PT-BED-MED"]
    order = s.sell(house, d("2025-12-01"))
    s.customer_return(order, d("2025-12-18"), disposition="DAMAGED", status="Disposed")
    s.refund(order, d("2025-12-19"))
    _add(
        s,
        "R09",
        "hit",
        f"{order.order_id}/{house.fnsku}",
        1,
        order.net_per_unit,
        "return damaged in Amazon's warehouse",
    )
    order = s.sell(bowl, d("2025-11-20"))
    s.customer_return(order, d("2025-12-02"), disposition="CARRIER_DAMAGED")
    s.refund(order, d("2025-12-03"))
    _add(
        s,
        "R09",
        "hit",
        f"{order.order_id}/{bowl.fnsku}",
        1,
        order.net_per_unit,
        "return damaged by the carrier",
    )
    order = s.sell(bed, d("2025-11-10"))
    s.customer_return(order, d("2025-11-24"), disposition="DAMAGED")
    s.refund(order, d("2025-11-25"))
    s.reimburse(
        d("2025-12-20"),
        "CustomerReturn",
        bed,
        cash=1,
        order_id=order.order_id,
        per_unit=order.net_per_unit,
    )
    _add(s, "R09", "near_miss", f"{order.order_id}/{bed.fnsku}", note="damaged return reimbursed")


def _removals(s: Seller) -> None:
    socks, cream = BY_SKU["AP-SOCKS-6PK"], BY_SKU["BT-CREAM-50"]
    for day, product, kind, qty, reference in (
        (d("2025-06-02"), socks, "Return", 5, "RMV-0000417"),
        (d("2025-08-15"), cream, "Disposal", 3, "RMV-0000533"),
    ):
        done = day + 9 * DAY
        _removal(s, day, reference, kind, "Completed", product, qty, done=qty)
        s.ledger_row(
            done,
            product,
            "VendorReturns",
            reference,
            -qty,
            "SELLABLE" if kind == "Return" else "CUSTOMER_DAMAGED",
            "",
        )


def _removal(s: Seller, day, reference, kind, status, product, requested, done=0) -> None:
    """A removal order line: `done` units shipped (Return) or disposed (Disposal)."""
    s.removals.append(
        [
            day,
            reference,
            kind,
            "Standard",
            status,
            day + 9 * DAY,
            product.sku,
            product.fnsku,
            "Sellable" if kind == "Return" else "Unsellable",
            requested,
            0,
            done if kind == "Disposal" else 0,
            done if kind == "Return" else 0,
            0 if status == "Completed" else requested - done,
            Decimal("0.97") * requested,
            "USD",
        ]
    )


def _r11(s: Seller) -> None:
    charger, brush = BY_SKU["EL-CHARGER-65"], BY_SKU["BT-BRUSH-SET"]
    _removal(s, d("2025-12-01"), "RMV-0000611", "Return", "Completed", charger, 4, done=2)
    s.ledger_row(d("2025-12-10"), charger, "VendorReturns", "RMV-0000611", -2, "SELLABLE", "")
    _add(
        s,
        "R11",
        "hit",
        f"RMV-0000611/{charger.fnsku}",
        2,
        charger.cost * 2,
        "4 requested for return, 2 shipped, order Completed",
    )
    _removal(s, d("2026-01-02"), "RMV-0000612", "Return", "Pending", brush, 3)
    _add(s, "R11", "near_miss", f"RMV-0000612/{brush.fnsku}", note="still Pending")


def _r12(s: Seller) -> None:
    uno, cream = BY_SKU["TY-CARDS-UNO"], BY_SKU["BT-CREAM-50"]
    s.adjust(d("2025-12-28"), uno, -3, "D", "UNSELLABLE")
    _add(s, "R12", "hit", uno.fnsku, 3, uno.cost * 3, "3 disposed, no disposal order")
    s.adjust(d("2025-12-18"), cream, -3, "D", "CUSTOMER_DAMAGED")
    _removal(s, d("2025-12-12"), "RMV-0000640", "Disposal", "Completed", cream, 3, done=3)
    _add(s, "R12", "near_miss", cream.fnsku, note="disposed on the seller's disposal order")


def _r13(s: Seller) -> None:
    bench, spoon = BY_SKU["SP-BENCH-ADJ"], BY_SKU["BB-SPOON-SET"]
    s.adjust(d("2025-12-02"), bench, -1, "M")
    paid = s.reimburse(d("2025-12-16"), "Lost_Warehouse", bench, cash=1, per_unit=Decimal("41.25"))
    _add(
        s,
        "R13",
        "hit",
        paid,
        1,
        bench.cost - Decimal("41.25"),
        "lost bench reimbursed at $41.25, cost $58.00",
    )
    s.adjust(d("2025-12-03"), spoon, -1, "E")
    paid = s.reimburse(d("2025-12-17"), "Damaged_Warehouse", spoon, cash=1)
    _add(s, "R13", "near_miss", paid, note="reimbursed at cost")


def _r14(s: Seller) -> None:
    charger, brush = BY_SKU["EL-CHARGER-65"], BY_SKU["BT-BRUSH-SET"]
    order = s.sell(charger, d("2025-11-24"))
    s.customer_return(order, d("2025-12-04"))
    s.refund(order, d("2025-12-06"), admin=order.commission * Decimal("0.40"))
    _add(
        s,
        "R14",
        "hit",
        order.order_id,
        None,
        order.commission * Decimal("0.40") - money(order.commission * Decimal("0.20")),
        "administration fee kept at 40% of the referral fee, not 20%",
    )
    order = s.sell(brush, d("2025-11-26"))
    s.customer_return(order, d("2025-12-05"))
    s.refund(order, d("2025-12-08"))
    _add(s, "R14", "near_miss", order.order_id, note="administration fee exactly 20%")
