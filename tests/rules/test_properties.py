"""What must hold for any seller: nothing is claimed twice, no claim exceeds what its evidence
shows, a reimbursement never adds to a claim, no claim is negative, and the same inputs give the
same bytes.

The generated sellers are dense: each has fee overcharges, refunds, returns of every grade, losses,
a shipment with a shortage and deductions, and reimbursements against them, so that every rule
has work in almost every example."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.audit import run_audit
from auditor.findings import write_csv
from auditor.ingest import ingest
from auditor.store import connect
from tests.grammar import grammar_errors
from tests.rules.builders import (
    AS_OF,
    ago,
    catalog,
    inbound,
    ledger,
    order,
    refund,
    reimbursements,
    returns,
    settlement,
)

SKUS = {"SKU1": "X1", "SKU2": "X2"}
CENT = Decimal("0.01")
DIMS = {"dims": ("12", "2.5", "0.6"), "weight": "4.8"}  # small standard: $3.24, $2.47 under $10
CATALOG = catalog(
    {"sku": "SKU1", "cost": "4.00", "category": "Kitchen", **DIMS},
    {"sku": "SKU2", "cost": "6.50", "category": "Beauty, Health & Personal Care", **DIMS},
)


def right_fee(price: Decimal) -> Decimal:
    return Decimal("2.47") if price < 10 else Decimal("3.24")


def right_commission(sku: str, price: Decimal) -> Decimal:
    rate = Decimal("0.08") if sku == "SKU2" and price <= 10 else Decimal("0.15")
    return max((price * rate).quantize(CENT, ROUND_HALF_UP), Decimal("0.30"))


sale = st.fixed_dictionaries(
    {
        "sku": st.sampled_from(sorted(SKUS)),
        "price": st.sampled_from([Decimal("12.99"), Decimal("9.49"), Decimal("24.99")]),
        "postings": st.lists(st.integers(1, 2), min_size=1, max_size=2),
        "fee_over": st.sampled_from([Decimal(0), Decimal("0.66")]),
        "commission_over": st.sampled_from([Decimal(0), Decimal("0.66")]),
        "sold": st.integers(100, 160),
        "refund": st.none()
        | st.tuples(st.integers(1, 95), st.sampled_from(["all", "one", "more"])),
        "returned": st.none()
        | st.tuples(
            st.integers(1, 2),
            st.sampled_from(["SELLABLE", "DAMAGED", "CARRIER_DAMAGED", "CUSTOMER_DAMAGED"]),
            st.integers(5, 90),
            st.booleans(),  # restocked in the ledger
        ),
    }
)
loss = st.fixed_dictionaries(
    {
        "date": st.integers(1, 150).map(ago),
        "fnsku": st.sampled_from(sorted(SKUS.values())),
        "qty": st.sampled_from([-1, -2, 1]),
        "reason": st.sampled_from(["M", "E", "F", "5", "H"]),
    }
)
deduction = st.fixed_dictionaries(
    {
        "days": st.integers(1, 60),
        "fnsku": st.sampled_from(sorted(SKUS.values())),
        "qty": st.sampled_from([-1, -2, 1]),
        "event": st.sampled_from(["Receipts", "Adjustments"]),
        "reason": st.sampled_from(["", "M", "O"]),
    }
)
paid = st.fixed_dictionaries(
    {
        "date": st.integers(1, 150).map(ago),
        "target": st.sampled_from(["warehouse", "inbound", "loose inbound", "order"]),
        "fnsku": st.sampled_from(sorted(SKUS.values())),
        "order": st.integers(0, 3),
        "cash": st.integers(0, 2),
        "inventory": st.integers(0, 1),
    }
)
seller = st.fixed_dictionaries(
    {
        "sales": st.lists(sale, min_size=4, max_size=4),
        "losses": st.lists(loss, min_size=1, max_size=5),
        "deductions": st.lists(deduction, max_size=3),
        "received": st.tuples(st.integers(4, 10), st.integers(4, 10)),
        "closed": st.integers(20, 90),
        "closed_date_known": st.booleans(),
        "receiving": st.booleans(),
        "paid": st.lists(paid, max_size=3),
    }
)


def reimbursement(p: dict) -> dict:
    fnsku = p["fnsku"]
    base = {"date": p["date"], "cash": p["cash"], "inventory": p["inventory"], "fnsku": fnsku}
    base["sku"] = next(s for s, f in SKUS.items() if f == fnsku)
    if p["target"] == "warehouse":
        return {**base, "reason": "Lost_Warehouse"}
    if p["target"] == "inbound":
        return {**base, "reason": "Lost_Inbound", "order_id": "FBA1"}
    if p["target"] == "loose inbound":
        return {**base, "reason": "Damaged_Inbound"}
    return {**base, "reason": "CustomerReturn", "order_id": f"O{p['order']}", "cash": 1}


def files(s: dict, extra: list[dict]) -> dict[str, str]:
    groups, back, restocks = [], [], []
    for n, x in enumerate(s["sales"]):
        order_id, sku, price = f"O{n}", x["sku"], x["price"]
        for i, qty in enumerate(x["postings"]):
            groups.append(
                order(
                    order_id,
                    ago(x["sold"] - i),
                    str(price),
                    qty=qty,
                    sku=sku,
                    fee=str(right_fee(price) + x["fee_over"]),
                    commission=str((right_commission(sku, price) + x["commission_over"]) * qty),
                )
            )
        units = sum(x["postings"])
        if x["refund"]:
            days, size = x["refund"]
            refunded = {"all": price * units, "one": price, "more": price * units + 5}[size]
            groups.append(refund(order_id, ago(days), str(refunded), sku=sku))
        if x["returned"]:
            qty, grade, days, restocked = x["returned"]
            qty = min(qty, units)
            back.append(
                {
                    "date": ago(days),
                    "order_id": order_id,
                    "sku": sku,
                    "fnsku": SKUS[sku],
                    "qty": qty,
                    "disposition": grade,
                }
            )
            if restocked and grade == "SELLABLE":
                restocks.append(
                    {
                        "date": ago(days - 3),
                        "qty": qty,
                        "event": "CustomerReturns",
                        "ref": order_id,
                        "fnsku": SKUS[sku],
                        "sku": sku,
                    }
                )
    closed = s["closed"]
    receipts = [
        {
            "date": ago(closed + 1),
            "qty": received,
            "event": "Receipts",
            "ref": "FBA1",
            "fnsku": fnsku,
            "sku": sku,
        }
        for (sku, fnsku), received in zip(SKUS.items(), s["received"], strict=True)
    ]
    deductions = [
        {
            "date": ago(closed - d["days"]) if d["days"] < closed else ago(1),
            "qty": d["qty"],
            "event": d["event"],
            "reason": d["reason"] if d["event"] == "Adjustments" else "",
            "ref": "FBA1",
            "fnsku": d["fnsku"],
            "sku": "SKU1" if d["fnsku"] == "X1" else "SKU2",
        }
        for d in s["deductions"]
    ]
    losses = [{**e, "sku": "SKU1" if e["fnsku"] == "X1" else "SKU2"} for e in s["losses"]]
    status = "RECEIVING" if s["receiving"] else "CLOSED"
    closed_date = ago(closed) if s["closed_date_known"] and not s["receiving"] else ""
    shipment = inbound(
        *(
            {
                "shipment": "FBA1",
                "sku": sku,
                "fnsku": fnsku,
                "shipped": 10,
                "received": received,
                "status": status,
                "closed": closed_date,
            }
            for (sku, fnsku), received in zip(SKUS.items(), s["received"], strict=True)
        )
    )
    return {
        "ledger": ledger(*losses, *receipts, *deductions, *restocks),
        "reimbursements": reimbursements(*(reimbursement(p) for p in s["paid"] + extra)),
        "inbound": shipment,
        "catalog": CATALOG,
        "settlement": settlement(*groups),
        "returns": returns(*back),
    }


def audit_seller(folder, texts: dict[str, str]) -> tuple[list[dict], dict]:
    """The findings, and the evidence rows of each claimable finding as (report, line)."""
    folder.mkdir(exist_ok=True)
    for key, text in texts.items():
        (folder / f"{key}.txt").write_text(text)
    con = connect(folder / "s.duckdb")
    try:
        ingest(con, folder)
        findings = run_audit(con, AS_OF).findings
        rows = con.execute(
            """SELECT e.rule, e."key", e.report, f.name, e.line,
                CASE e.report WHEN 'ledger' THEN l.quantity END
            FROM last_evidence e JOIN files f ON f.file_id = e.file_id
            LEFT JOIN raw_ledger l ON e.report = 'ledger' AND l._file_id = e.file_id
                AND l._line = e.line
            WHERE e.bucket = 'claimable'"""
        ).fetchall()
    finally:
        con.close()
    evidence = defaultdict(list)
    for rule, key, report, name, line, quantity in rows:
        evidence[(rule, key)].append((report, name, line, quantity))
    return findings, evidence


def totals(findings) -> dict:
    out = defaultdict(lambda: [0, Decimal(0)])
    for f in findings:
        out[(f["rule"], f["key"])][0] += f["quantity"] or 0
        out[(f["rule"], f["key"])][1] += f["amount"] or 0
    return out


# Each example audits a generated seller once or twice (about a second each): 10 examples a
# property keep the whole suite within ten minutes on two cores, with room to spare.
PROPERTY = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(s=seller, extra=st.lists(paid, min_size=3, max_size=3))
def test_reimbursements_never_add_to_a_claim(tmp_path_factory, s, extra):
    before = totals(audit_seller(tmp_path_factory.mktemp("before"), files(s, []))[0])
    after = totals(audit_seller(tmp_path_factory.mktemp("after"), files(s, extra))[0])
    for key, (units, amount) in after.items():
        if key[0] == "R13":
            continue  # a reimbursement below cost is itself R13's claim
        assert key in before, key
        assert units <= before[key][0] and amount <= before[key][1], key


@PROPERTY
@given(s=seller)
def test_nothing_is_claimed_twice_nor_beyond_its_evidence(tmp_path_factory, s):
    findings, evidence = audit_seller(tmp_path_factory.mktemp("s"), files(s, []))
    claimable = [f for f in findings if f["status"] in ("open", "expiring")]

    # A ledger deduction (a negative row) is the claimed event of one finding at most.
    claimed_rows = defaultdict(list)
    for f in claimable:
        if f["rule"] in ("R02", "R08"):
            for report, name, line, quantity in evidence[(f["rule"], f["key"])]:
                if report == "ledger" and quantity is not None and quantity < 0:
                    claimed_rows[(name, line)].append(f["rule"])
    assert all(len(rules) == 1 for rules in claimed_rows.values()), claimed_rows

    # An order's refund money is R03's or R07's, never both.
    refunds = {f["key"] for f in claimable if f["rule"] == "R03"}
    assert not refunds & {f["key"] for f in claimable if f["rule"] == "R07"}

    # Units: no more than the reports show lost, short or returned.
    lost = defaultdict(int)
    for e in s["losses"]:
        if e["reason"] in ("M", "E", "5") and e["qty"] < 0:
            lost[e["fnsku"]] -= e["qty"]
    for d in s["deductions"]:
        if d["qty"] < 0:
            lost[d["fnsku"]] -= d["qty"]
    claimed_units = defaultdict(int)
    for f in findings:
        if f["rule"] in ("R02", "R08"):
            claimed_units[f["fnsku"]] += f["quantity"]
    assert all(claimed_units[x] <= lost[x] for x in claimed_units), (claimed_units, lost)
    for f in findings:
        if f["rule"] == "R04":
            received = dict(zip(SKUS.values(), s["received"], strict=True))[f["fnsku"]]
            assert f["quantity"] <= 10 - received
    returned = defaultdict(int)
    for n, x in enumerate(s["sales"]):
        if x["returned"]:
            returned[f"O{n}/{SKUS[x['sku']]}"] += min(x["returned"][0], sum(x["postings"]))
    back = defaultdict(int)
    for f in findings:
        if f["rule"] in ("R05", "R09"):
            back[f["key"]] += f["quantity"]
    assert all(back[k] <= returned[k] for k in back), (back, returned)

    # Money: a refund claim is at most what the refund debited; a fee claim at most the fee.
    for f in findings:
        n = int(f["order_id"][1:]) if f["order_id"] else None
        x = s["sales"][n] if n is not None else None
        if f["rule"] in ("R03", "R07") and f["amount"] is not None:
            price = x["price"]
            units = sum(x["postings"])
            refunded = {"all": price * units, "one": price, "more": price * units + 5}
            assert f["amount"] <= refunded[x["refund"][1]]
    fees = defaultdict(Decimal)
    for x in s["sales"]:
        for qty in x["postings"]:
            fees[("R01", x["sku"])] += (right_fee(x["price"]) + x["fee_over"]) * qty
            fees[("R10", x["sku"])] += (
                right_commission(x["sku"], x["price"]) + x["commission_over"]
            ) * qty
    for f in findings:
        if f["rule"] in ("R01", "R10"):
            assert f["amount"] <= fees[(f["rule"], f["key"])]


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(s=seller)
def test_claims_are_never_negative_and_repeat_exactly(tmp_path_factory, s):
    texts = files(s, [])
    first, _ = audit_seller(tmp_path_factory.mktemp("a"), texts)
    for f in first:
        assert f["amount"] is None or f["amount"] > 0
        assert f["quantity"] is None or f["quantity"] > 0
        assert grammar_errors(f["summary"]) == [], f["summary"]
    second, _ = audit_seller(tmp_path_factory.mktemp("b"), texts)
    out = tmp_path_factory.mktemp("out")
    write_csv(first, out / "a.csv")
    write_csv(second, out / "b.csv")
    assert (out / "a.csv").read_bytes() == (out / "b.csv").read_bytes()


def claimed_units(findings, rules: tuple[str, ...], group) -> dict:
    out = defaultdict(int)
    for f in findings:
        if f["rule"] in rules:
            out[group(f)] += f["quantity"] or 0
    return out


# What pays each kind of claim, and how its claims are grouped: the claims a reimbursement of one
# unit must take exactly one unit off.
PAYERS = {
    "pool": (("R02", "R08"), lambda f: f["fnsku"]),
    "inbound": (("R04",), lambda f: f["key"]),
    "return": (("R05", "R09"), lambda f: f["key"]),
    "refund": (("R07",), lambda f: f["key"]),
}


def payment(kind: str, target: str, findings: list[dict]) -> dict:
    one = {"date": ago(2), "cash": 1, "per_unit": "1.00"}
    f = next(f for f in findings if PAYERS[kind][1](f) == target and f["rule"] in PAYERS[kind][0])
    sku = f["sku"]
    if kind == "pool":
        return {**one, "reason": "Lost_Warehouse", "fnsku": target, "sku": sku}
    if kind == "inbound":
        return {
            **one,
            "reason": "Lost_Inbound",
            "order_id": "FBA1",
            "fnsku": f["fnsku"],
            "sku": sku,
        }
    if kind == "return":
        return {
            **one,
            "reason": "CustomerReturn",
            "order_id": f["order_id"],
            "fnsku": f["fnsku"],
            "sku": sku,
        }
    return {
        **one,
        "reason": "CustomerServiceIssue",
        "order_id": f["order_id"],
        "fnsku": SKUS[sku],
        "sku": sku,
    }


@PROPERTY
@given(s=seller)
def test_a_reimbursement_of_one_unit_takes_exactly_one_unit_off_the_claim_it_pays(
    tmp_path_factory, s
):
    before, _ = audit_seller(tmp_path_factory.mktemp("before"), files(s, []))
    targets, extra = {}, []
    for kind, (rules, group) in PAYERS.items():
        units = claimed_units(before, rules, group)
        target = next((k for k in sorted(units) if units[k] > 0), None)
        if target is not None:
            targets[kind] = (target, units[target])
            extra.append(payment(kind, target, before))
    texts = files(s, [])
    texts["reimbursements"] = reimbursements(*(reimbursement(p) for p in s["paid"]), *extra)
    after, _ = audit_seller(tmp_path_factory.mktemp("after"), texts)
    for kind, (target, units) in targets.items():
        rules, group = PAYERS[kind]
        assert claimed_units(after, rules, group)[target] == units - 1, (kind, target)
