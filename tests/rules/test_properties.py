"""What must hold for any seller: a reimbursement never adds to a claim, no claim is negative,
and the same inputs give the same bytes."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.audit import run_audit
from auditor.findings import write_csv
from auditor.ingest import ingest
from auditor.store import connect
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

FNSKUS = ["X1", "X2"]
ORDERS = ["O1", "O2", "O3"]

loss = st.fixed_dictionaries(
    {
        "date": st.integers(1, 150).map(ago),
        "fnsku": st.sampled_from(FNSKUS),
        "qty": st.sampled_from([-1, -2, 1]),
        "reason": st.sampled_from(["M", "E", "F", "5", "H"]),
    }
)
paid = st.fixed_dictionaries(
    {
        "date": st.integers(1, 150).map(ago),
        "fnsku": st.sampled_from(FNSKUS),
        "reason": st.sampled_from(
            ["Lost_Warehouse", "Damaged_Warehouse", "Lost_Inbound", "CustomerReturn"]
        ),
        "order_id": st.sampled_from(["", "FBA1", *ORDERS]),
        "cash": st.integers(0, 2),
        "inventory": st.integers(0, 1),
    }
)
seller = st.fixed_dictionaries(
    {
        "losses": st.lists(loss, max_size=6),
        "paid": st.lists(paid, max_size=3),
        "received": st.integers(5, 10),
        "refund_days": st.lists(st.integers(1, 150), min_size=3, max_size=3),
        "returned": st.lists(st.booleans(), min_size=3, max_size=3),
        "disposition": st.sampled_from(["SELLABLE", "DAMAGED", "CUSTOMER_DAMAGED"]),
    }
)


def files(s: dict, extra: list[dict]) -> dict[str, str]:
    sales = [
        order(o, ago(d + 5), "20.00", sku=f)
        for o, d, f in zip(ORDERS, s["refund_days"], ["SKU1", "SKU2", "SKU1"], strict=True)
    ]
    refunds = [
        refund(o, ago(d), "20.00", sku=f)
        for o, d, f in zip(ORDERS, s["refund_days"], ["SKU1", "SKU2", "SKU1"], strict=True)
    ]
    back = [
        {
            "date": ago(d + 1),
            "order_id": o,
            "fnsku": "X1" if f == "SKU1" else "X2",
            "sku": f,
            "disposition": s["disposition"],
        }
        for o, d, f, r in zip(
            ORDERS, s["refund_days"], ["SKU1", "SKU2", "SKU1"], s["returned"], strict=True
        )
        if r
    ]
    skus = {"X1": "SKU1", "X2": "SKU2"}
    return {
        "ledger": ledger(*({**e, "sku": skus[e["fnsku"]]} for e in s["losses"])),
        "reimbursements": reimbursements(
            *({**r, "sku": skus[r["fnsku"]]} for r in s["paid"] + extra)
        ),
        "inbound": inbound(
            {"shipment": "FBA1", "shipped": 10, "received": s["received"], "closed": ago(20)}
        ),
        "catalog": catalog({"sku": "SKU1", "cost": "4.00"}, {"sku": "SKU2", "cost": "6.50"}),
        "settlement": settlement(*sales, *refunds),
        "returns": returns(*back),
    }


def audit_all(folder, texts: dict[str, str]):
    folder.mkdir(exist_ok=True)
    for key, text in texts.items():
        (folder / f"{key}.txt").write_text(text)
    con = connect(folder / "s.duckdb")
    try:
        ingest(con, folder)
        return run_audit(con, AS_OF).findings
    finally:
        con.close()


def totals(findings) -> dict:
    out = defaultdict(lambda: [0, Decimal(0)])
    for f in findings:
        out[(f["rule"], f["key"])][0] += f["quantity"] or 0
        out[(f["rule"], f["key"])][1] += f["amount"] or 0
    return out


PROPERTY = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(s=seller, extra=paid)
def test_a_reimbursement_never_adds_to_a_claim(tmp_path_factory, s, extra):
    before = totals(audit_all(tmp_path_factory.mktemp("before"), files(s, [])))
    after = totals(audit_all(tmp_path_factory.mktemp("after"), files(s, [extra])))
    for key, (units, amount) in after.items():
        assert key in before, key
        assert units <= before[key][0] and amount <= before[key][1], key


@PROPERTY
@given(s=seller)
def test_claims_are_never_negative_and_repeat_exactly(tmp_path_factory, s):
    texts = files(s, [])
    first = audit_all(tmp_path_factory.mktemp("a"), texts)
    for f in first:
        assert f["amount"] is None or f["amount"] > 0
        assert f["quantity"] is None or f["quantity"] > 0
    second = audit_all(tmp_path_factory.mktemp("b"), texts)
    out = tmp_path_factory.mktemp("out")
    write_csv(first, out / "a.csv")
    write_csv(second, out / "b.csv")
    assert (out / "a.csv").read_bytes() == (out / "b.csv").read_bytes()
