"""A deterministic sample seller in Amazon's real report formats.

    python -m auditor.samples --out sample_reports --seed 7 [--scale 1]

`scale` multiplies order volume (and so ledger, settlement, returns and orders rows), for
benchmarks; the planted cases stay the same.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from auditor.fees import Unit, money
from auditor.samples import writers as w
from auditor.samples.catalog import PRODUCTS
from auditor.samples.seller import AS_OF, SETTLEMENT_DAYS, START, Seller
from auditor.samples.story import SPATULA_MEASURED, ordinary_business, plant_cases

__all__ = ["AS_OF", "generate"]


def generate(
    out: Path, seed: int = 7, scale: float = 1.0, through: dt.date | None = None
) -> Seller:
    """Write the seller's reports as downloaded on `through` (default AS_OF): only what had
    happened, been settled or been approved before that day."""
    cut = through or AS_OF
    out = Path(out)
    if out.exists():
        for child in out.iterdir():
            if child.name != "expected_findings.csv":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    seller = Seller(seed, scale)
    ordinary_business(seller)
    plant_cases(seller)
    _write_ledger(seller, out, cut)
    _write_settlements(seller, out, cut)
    _write_simple(seller, out, cut)
    _write_transactions(seller, out, cut)
    _write_fee_preview(seller, out, cut)
    _write_plants(seller, out)
    return seller


def _write_ledger(s: Seller, out: Path, cut: dt.date) -> None:
    rows = sorted(s.ledger, key=lambda r: (r[0], r[1], r[5], r[6]))

    def formatted(first: dt.date, last: dt.date):
        for r in rows:
            if first <= r[0] <= last:
                yield [w.ledger_date(r[0]), *r[1:], w.ledger_datetime(r[0])]

    # Two downloads whose ranges overlap by a month, as sellers really have them.
    last = cut - dt.timedelta(days=1)
    first_end = min(START + dt.timedelta(days=227), last)
    second_start = START + dt.timedelta(days=198)
    w.write_flat(
        out / "ledger" / f"ledger-{START}_{first_end}.txt",
        w.LEDGER_HEADER,
        formatted(START, first_end),
        quote_all=True,
    )
    if second_start <= last:
        w.write_flat(
            out / "ledger" / f"ledger-{second_start}_{last}.txt",
            w.LEDGER_HEADER,
            formatted(second_start, last),
            quote_all=True,
        )
    # The legacy adjustments report, from before the ledger download starts.
    legacy = [
        [
            dt.datetime.combine(START - dt.timedelta(days=43), dt.time(8, 12, 40)),
            "71002834411",
            PRODUCTS[4].fnsku,
            PRODUCTS[4].sku,
            PRODUCTS[4].title,
            "PHX7",
            -1,
            "M",
            "SELLABLE",
        ],
        [
            dt.datetime.combine(START - dt.timedelta(days=37), dt.time(17, 2, 5)),
            "71002869125",
            PRODUCTS[4].fnsku,
            PRODUCTS[4].sku,
            PRODUCTS[4].title,
            "PHX7",
            1,
            "F",
            "SELLABLE",
        ],
    ]
    w.write_flat(
        out / f"adjustments-{START - dt.timedelta(days=45):%Y-%m}.txt",
        w.ADJUSTMENTS_HEADER,
        ([w.iso_utc(r[0]), *r[1:]] for r in legacy),
    )


def _write_settlements(s: Seller, out: Path, cut: dt.date) -> None:
    periods: dict[int, list[dict]] = defaultdict(list)
    for line in s.lines:
        periods[(line["posted"].date() - START).days // SETTLEMENT_DAYS].append(line)
    for k in sorted(periods):
        begin = dt.datetime.combine(
            START + dt.timedelta(days=k * SETTLEMENT_DAYS), dt.time(20, 21, 38)
        )
        end = begin + dt.timedelta(days=SETTLEMENT_DAYS)
        if end.date() > cut:
            continue  # still open: Amazon has not issued it yet
        settlement_id = str(11_842_000_000 + k * 1_771)
        lines = sorted(periods[k], key=lambda x: (x["posted"], x["order_id"] or ""))
        total = sum((line["amount"] for line in lines), Decimal(0))
        header = [
            settlement_id,
            w.settlement_datetime(begin),
            w.settlement_datetime(end),
            w.settlement_datetime(end + dt.timedelta(days=2)),
            total,
            "USD",
        ]
        rows = [header + [""] * 18]
        for line in lines:
            rows.append(
                w.settlement_line(
                    settlement_id,
                    line["transaction_type"],
                    line["order_id"] or "",
                    "Amazon.com",
                    line["amount_type"],
                    line["amount_description"],
                    line["amount"],
                    line["posted"].date().isoformat(),
                    w.settlement_datetime(line["posted"]),
                    line["sku"] or "",
                    line["qty"] if line["transaction_type"] == "Order" else "",
                    line["adjustment_id"] or "",
                    line["shipment_id"] or "",
                )
            )
        w.write_flat(out / "settlements" / f"{settlement_id}.txt", w.SETTLEMENT_HEADER, rows)


def _write_simple(s: Seller, out: Path, cut: dt.date) -> None:
    w.write_flat(
        out / "customer-returns.txt",
        w.RETURNS_HEADER,
        (
            [w.iso_utc(r[0]), *r[1:]]
            for r in sorted(s.returns, key=lambda r: r[0])
            if r[0].date() < cut
        ),
    )
    w.write_flat(
        out / "reimbursements.txt",
        w.REIMBURSEMENTS_HEADER,
        (
            [w.iso_utc(r[0]), *r[1:]]
            for r in sorted(s.reimbursements, key=lambda r: (r[0], r[1]))
            if r[0].date() < cut
        ),
    )
    orders = []
    for o in sorted(s.orders, key=lambda o: o.purchased):
        if o.purchased.date() >= cut:
            continue
        p = o.product
        orders.append(
            [
                o.order_id,
                "",
                w.iso_utc(o.purchased),
                w.iso_utc(o.posted),
                "Shipped",
                "Amazon",
                "Amazon.com",
                "",
                "",
                "Expedited",
                p.title,
                p.sku,
                p.asin,
                "Shipped",
                o.qty,
                "USD",
                o.principal,
                money(o.principal * Decimal("0.07")),
                "",
                "",
                "",
                "",
                "",
                "",
                "SPRINGFIELD",
                "IL",
                "62704",
                "US",
                "",
                "false",
                "",
                "",
                "false",
            ]
        )
    w.write_flat(out / "all-orders.txt", w.ORDERS_HEADER, orders)
    w.write_flat(
        out / "removal-order-detail.txt",
        w.REMOVALS_HEADER,
        (
            [
                w.iso_utc(dt.datetime.combine(r[0], dt.time(6))),
                *r[1:5],
                w.iso_utc(dt.datetime.combine(r[5], dt.time(6))),
                *r[6:],
            ]
            for r in s.removals
            if r[0] < cut
        ),
    )
    w.write_csv(out / "inbound-shipments.csv", w.INBOUND_HEADER, _inbound_on(s, cut))
    catalog = []
    for p in PRODUCTS:
        category = "" if p.sku == "EL-CHARGER-65" else p.category  # falls back to product group
        catalog.append(
            [
                p.sku,
                p.cost if p.cost is not None else "",
                "USD",
                *p.dims,
                "in",
                p.weight_oz,
                "oz",
                category,
            ]
        )
    w.write_csv(out / "my-catalog.csv", w.CATALOG_HEADER, catalog)


def _inbound_on(s: Seller, cut: dt.date) -> list[list]:
    """Each shipment item as the export showed it on `cut`: closed, receiving, or shipped."""
    received: dict[tuple, int] = defaultdict(int)
    for r in s.ledger:
        if r[5] == "Receipts" and r[7] > 0 and r[0] < cut:
            received[(r[6], r[1])] += r[7]
    rows = []
    for row in s.inbound:
        shipment, fnsku, closed = row[0], row[4], row[8]
        if closed and dt.date.fromisoformat(closed) < cut:
            rows.append(row)
        else:
            got = received[(shipment, fnsku)]
            rows.append([*row[:2], "RECEIVING" if got else "SHIPPED", *row[3:6], got, row[7], ""])
    return rows


def _write_transactions(s: Seller, out: Path, cut: dt.date) -> None:
    """The last full month as a Date Range report: one row per order, refund or reimbursement."""
    last = cut.replace(day=1) - dt.timedelta(days=1)
    first = last.replace(day=1)
    grouped: dict[tuple, dict] = {}
    for line in s.lines:
        if not first <= line["posted"].date() <= last:
            continue
        kind = {"Order": "Order", "Refund": "Refund"}.get(line["transaction_type"], "Adjustment")
        key = (line["posted"], kind, line["order_id"] or "", line["sku"] or "")
        row = grouped.setdefault(key, defaultdict(lambda: Decimal(0)))
        description = line["amount_description"]
        if description in ("Principal",):
            row["product sales"] += line["amount"]
            row["quantity"] = line["qty"] or 0
        elif description == "Tax":
            row["product sales tax"] += line["amount"]
        elif description == "MarketplaceFacilitatorTax-Principal":
            row["marketplace withheld tax"] += line["amount"]
        elif description in ("Commission", "RefundCommission"):
            row["selling fees"] += line["amount"]
        elif description == "FBAPerUnitFulfillmentFee":
            row["fba fees"] += line["amount"]
        else:
            row["other"] += line["amount"]
        row["total"] += line["amount"]
    titles = {p.sku: p.title for p in PRODUCTS}
    rows = []
    for (posted, kind, order_id, sku), v in sorted(grouped.items(), key=lambda kv: kv[0][:3]):
        settlement_id = str(
            11_842_000_000 + ((posted.date() - START).days // SETTLEMENT_DAYS) * 1_771
        )
        rows.append(
            [
                w.date_range_datetime(posted),
                settlement_id,
                kind,
                order_id,
                sku,
                titles.get(sku, "FBA Inventory Reimbursement"),
                int(v["quantity"]) or "",
                "amazon.com",
                "Standard Orders",
                "Amazon",
                "Springfield",
                "IL",
                "62704",
                "MarketplaceFacilitator",
                *(w.money_with_thousands(v[c]) for c in w.TRANSACTIONS_HEADER[14:]),
            ]
        )
    w.write_csv(
        out / f"{first:%Y%b}-MonthlyTransaction.csv",
        w.TRANSACTIONS_HEADER,
        rows,
        preamble=w.TRANSACTIONS_PREAMBLE,
    )


def _write_fee_preview(s: Seller, out: Path, cut: dt.date) -> None:
    early, late = (str(AS_OF - dt.timedelta(days=n)) for n in (228, 14))
    for snapshot in (early, late):
        if dt.date.fromisoformat(snapshot) >= cut:
            continue
        rows = []
        for p in PRODUCTS:
            dims = p.dims
            if p.sku == "KS-SPAT-SIL" and snapshot == late:
                dims = SPATULA_MEASURED
            unit = Unit.of(*dims, "in", p.weight_oz, "oz")
            tier, fee = s.card_on(dt.date.fromisoformat(snapshot)).fulfilment_fee(unit, p.price)
            referral = s.expected_commission(p)
            longest, median, shortest = unit.sides
            rows.append(
                [
                    p.sku,
                    p.fnsku,
                    p.asin,
                    p.title,
                    p.product_group,
                    "Acme Goods",
                    "AMAZON_NA",
                    p.price,
                    p.price,
                    longest,
                    median,
                    shortest,
                    longest + 2 * (median + shortest),
                    "inches",
                    (p.weight_oz / 16).quantize(Decimal("0.0001")),
                    "pounds",
                    tier.capitalize(),
                    "USD",
                    referral + fee,
                    referral,
                    "0.00",
                    "",
                    "",
                    "",
                    fee,
                ]
            )
        w.write_flat(out / f"fee-preview-{snapshot}.txt", w.FEE_PREVIEW_HEADER, rows)


def _write_plants(s: Seller, out: Path) -> None:
    with open(out / "planted_cases.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["rule", "kind", "key", "quantity", "amount", "note"])
        for p in sorted(s.plants, key=lambda p: (p.rule, p.kind, p.key)):
            writer.writerow(
                [
                    p.rule,
                    p.kind,
                    p.key,
                    "" if p.quantity is None else p.quantity,
                    "" if p.amount is None else f"{money(p.amount):.2f}",
                    p.note,
                ]
            )
