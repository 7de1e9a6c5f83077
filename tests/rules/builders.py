"""Tiny reports for rule tests: each builder takes a few fields per row (the rest default) and
returns the file text in Amazon's format, so a test reads as the case it checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from auditor.audit import Audit, run_audit
from auditor.ingest import ingest
from auditor.samples import writers as w
from auditor.store import connect

AS_OF = dt.date(2026, 1, 15)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def ago(days: int) -> str:
    """The date `days` before AS_OF, ISO."""
    return (AS_OF - dt.timedelta(days=days)).isoformat()


def _tsv(header: list[str], rows: list[list], quote_all: bool = False) -> str:
    def cell(v):
        text = w.text(v)
        return '"' + text.replace('"', '""') + '"' if quote_all else text

    head = "\t".join(('"' + h + '"') if quote_all else h for h in header)
    return "\n".join([head, *("\t".join(cell(v) for v in r) for r in rows)]) + "\n"


def ledger(*rows: dict) -> str:
    out = []
    for r in rows:
        date = day(r["date"])
        out.append(
            [
                w.ledger_date(date),
                r.get("fnsku", "X1"),
                "B01",
                r.get("sku", "SKU1"),
                "Mug",
                r.get("event", "Adjustments"),
                r.get("ref", "REF1"),
                r["qty"],
                "PHX7",
                r.get("disposition", "SELLABLE"),
                r.get("reason", ""),
                r.get("country", "US"),
                "",
                "",
                w.ledger_datetime(date),
            ]
        )
    return _tsv(w.LEDGER_HEADER, out, quote_all=True)


def adjustments(*rows: dict) -> str:
    """The legacy Inventory Adjustments report."""
    out = [
        [
            f"{r['date']}T12:00:00+00:00",
            r.get("id", f"70{n:06d}"),
            r.get("fnsku", "X1"),
            r.get("sku", "SKU1"),
            "Mug",
            "PHX7",
            r["qty"],
            r["reason"],
            r.get("disposition", "SELLABLE"),
        ]
        for n, r in enumerate(rows)
    ]
    return _tsv(w.ADJUSTMENTS_HEADER, out)


def reimbursements(*rows: dict) -> str:
    out = []
    for n, r in enumerate(rows):
        cash, inventory = r.get("cash", 0), r.get("inventory", 0)
        per_unit = Decimal(r.get("per_unit", "5.00"))
        out.append(
            [
                f"{r['date']}T10:00:00+00:00",
                r.get("id", f"900{n}"),
                r.get("case_id", ""),
                r.get("order_id", ""),
                r["reason"],
                r.get("sku", "SKU1"),
                r.get("fnsku", "X1"),
                "B01",
                "Mug",
                "New",
                r.get("currency", "USD"),
                per_unit,
                Decimal(r["amount"]) if "amount" in r else per_unit * cash,
                cash,
                inventory,
                cash + inventory,
                r.get("original", ""),
                "Lost_Warehouse" if r.get("original") else "",
            ]
        )
    return _tsv(w.REIMBURSEMENTS_HEADER, out)


def returns(*rows: dict) -> str:
    out = []
    for n, r in enumerate(rows):
        out.append(
            [
                f"{r['date']}T07:03:57+00:00",
                r["order_id"],
                r.get("sku", "SKU1"),
                "B01",
                r.get("fnsku", "X1"),
                "Mug",
                r.get("qty", 1),
                "PHX7",
                r.get("disposition", "SELLABLE"),
                "UNWANTED_ITEM",
                r.get("status", "Unit returned to inventory"),
                r.get("lpn", f"LPN{n:08d}"),
                "",
            ]
        )
    return _tsv(w.RETURNS_HEADER, out)


def order(
    order_id: str,
    posted: str,
    price: str,
    qty: int = 1,
    sku: str = "SKU1",
    commission: str | None = None,
    fee: str = "3.24",
) -> list[dict]:
    """Settlement lines of an order: principal, referral fee (15% unless given), FBA fee."""
    principal = Decimal(price) * qty
    commission = (
        Decimal(commission)
        if commission
        else (Decimal(price) * Decimal("0.15")).quantize(Decimal("0.01")) * qty
    )
    base = dict(kind="Order", order_id=order_id, posted=posted, sku=sku, qty=qty)
    return [
        {**base, "type": "ItemPrice", "desc": "Principal", "amount": principal},
        {**base, "type": "ItemFees", "desc": "Commission", "amount": -commission},
        {
            **base,
            "type": "ItemFees",
            "desc": "FBAPerUnitFulfillmentFee",
            "amount": -Decimal(fee) * qty,
        },
    ]


def refund(
    order_id: str,
    posted: str,
    principal: str,
    sku: str = "SKU1",
    commission_back: str = "0.00",
    admin: str = "0.00",
    restocking: str | None = None,
) -> list[dict]:
    base = dict(kind="Refund", order_id=order_id, posted=posted, sku=sku, qty=None)
    lines = [
        {**base, "type": "ItemPrice", "desc": "Principal", "amount": -Decimal(principal)},
        {**base, "type": "ItemFees", "desc": "Commission", "amount": Decimal(commission_back)},
        {**base, "type": "ItemFees", "desc": "RefundCommission", "amount": -Decimal(admin)},
    ]
    if restocking is not None:
        lines.append(
            {**base, "type": "ItemPrice", "desc": "RestockingFee", "amount": Decimal(restocking)}
        )
    return lines


def settlement(
    *groups: list[dict],
    settlement_id: str = "1001",
    currency: str = "USD",
    period: tuple[str, str] = ("2025-01-01", "2026-01-15"),
    marketplace: str = "Amazon.com",
) -> str:
    lines = [line for group in groups for line in group]
    total = sum((line["amount"] for line in lines), Decimal(0))
    out = [
        [
            settlement_id,
            f"{period[0]} 00:00:00 UTC",
            f"{period[1]} 00:00:00 UTC",
            f"{period[1]} 00:00:00 UTC",
            total,
            currency,
        ]
        + [""] * 18
    ]
    for line in lines:
        out.append(
            w.settlement_line(
                settlement_id,
                line["kind"],
                line["order_id"],
                marketplace,
                line["type"],
                line["desc"],
                line["amount"],
                line["posted"],
                f"{line['posted']} 08:00:00 UTC",
                line["sku"],
                line["qty"] if line["kind"] == "Order" else "",
            )
        )
    return _tsv(w.SETTLEMENT_HEADER, out)


def german(text: str) -> bytes:
    """A settlement file as a German account downloads it: Windows-1252, decimal commas and
    dd.mm.yyyy dates."""
    header, *rows = text.splitlines()
    names = header.split("\t")
    amounts = {names.index("total-amount"), names.index("amount")}
    dates = {names.index(n) for n in names if "date" in n}
    out = [header]
    for row in rows:
        cells = row.split("\t")
        for i in amounts:
            cells[i] = cells[i].replace(".", ",")
        for i in dates:
            if cells[i][:4].isdigit():
                day = dt.date.fromisoformat(cells[i][:10])
                cells[i] = day.strftime("%d.%m.%Y") + cells[i][10:]
        out.append("\t".join(cells))
    return ("\n".join(out) + "\n").encode("cp1252")


def inbound(*rows: dict) -> str:
    out = [
        [
            r["shipment"],
            "Batch",
            r.get("status", "CLOSED"),
            r.get("sku", "SKU1"),
            r.get("fnsku", "X1"),
            r["shipped"],
            r["received"],
            0,
            r.get("closed", ""),
        ]
        for r in rows
    ]
    return _tsv(w.INBOUND_HEADER, out)


def removals(*rows: dict) -> str:
    """Removal Order Detail rows: order, type, status, the quantities (0 unless given)."""
    out = []
    for r in rows:
        updated = r.get("updated", r.get("requested_on", "2025-12-01"))
        out.append(
            [
                f"{r.get('requested_on', '2025-11-20')}T06:00:00+00:00",
                r.get("order", "RMV-1"),
                r.get("type", "Return"),
                "Standard",
                r.get("status", "Completed"),
                f"{updated}T06:00:00+00:00",
                r.get("sku", "SKU1"),
                r.get("fnsku", "X1"),
                r.get("disposition", "Sellable"),
                r["requested"],
                r.get("cancelled", 0),
                r.get("disposed", 0),
                r.get("shipped", 0),
                r.get("in_process", 0),
                "0.97",
                "USD",
            ]
        )
    return _tsv(w.REMOVALS_HEADER, out)


def catalog(*rows: dict) -> str:
    out = [
        [
            r.get("sku", "SKU1"),
            r.get("cost", ""),
            r.get("currency", "USD"),
            *r.get("dims", ("", "", "")),
            r.get("unit", "in") if r.get("dims") else "",
            r.get("weight", ""),
            r.get("weight_unit", "oz") if r.get("weight") else "",
            r.get("category", ""),
        ]
        for r in rows
    ]
    return _tsv(w.CATALOG_HEADER, out)


def fee_preview(*rows: dict, snapshot: str = "2026-01-01") -> str:
    out = []
    for r in rows:
        a, b, c = r.get("dims", ("12", "3", "1.1"))
        out.append(
            [
                r.get("sku", "SKU1"),
                r.get("fnsku", "X1"),
                "B01",
                "Mug",
                r.get("group", "Kitchen"),
                "Acme",
                "AMAZON_NA",
                r.get("price", "12.99"),
                r.get("price", "12.99"),
                a,
                b,
                c,
                "",
                "inches",
                r.get("weight_lb", "0.3"),
                "pounds",
                r.get("tier", "Large standard"),
                "USD",
                "",
                "",
                "",
                "",
                "",
                "",
                r.get("fee", "3.90"),
            ]
        )
    return _tsv(w.FEE_PREVIEW_HEADER, out), f"fee-preview-{snapshot}.txt"


def audit_all(
    folder: Path, files: dict[str, str | bytes | tuple[str, str]], as_of: dt.date = AS_OF
) -> Audit:
    """Load `files` (report key -> text, bytes or (text, file name)) into a fresh database and
    audit it."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, text in files.items():
        name = f"{key}.txt"
        if isinstance(text, tuple):
            text, name = text
        if isinstance(text, bytes):
            (folder / name).write_bytes(text)
        else:
            (folder / name).write_text(text, encoding="utf-8")
    con = connect(folder / "seller.duckdb")
    try:
        results = ingest(con, folder)
        problems = [f"{r.name}: {r.message}" for r in results if r.status == "error"]
        assert not problems, problems
        return run_audit(con, as_of)
    finally:
        con.close()


def audit(
    folder: Path,
    files: dict[str, str | bytes | tuple[str, str]],
    rule: str,
    as_of: dt.date = AS_OF,
) -> list[dict]:
    """Load `files` into a fresh database; the findings of `rule`."""
    result = audit_all(folder, files, as_of)
    outcome = next(o for o in result.outcomes if o.rule.code == rule)
    assert not outcome.missing, outcome.missing
    return outcome.findings


def brief(findings: list[dict]) -> list[tuple]:
    """(key, status, quantity, amount, claim_deadline) per finding, amounts as strings."""
    return sorted(
        (
            f["key"],
            f["status"],
            f["quantity"],
            None if f["amount"] is None else f"{f['amount']:.2f}",
            f["claim_deadline"].isoformat(),
        )
        for f in findings
    )
