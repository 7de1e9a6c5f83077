"""Claimed once across the loss rules: on generated FNSKUs with losses (R02), disposals with and
without the seller's disposal orders (R12) and warehouse reimbursements, no unit is claimed by
two rules, nothing beyond what was lost or disposed, and each unit reimbursed takes exactly one
unit off what is claimed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rules.builders import ago, audit_all, catalog, ledger, reimbursements, removals

event = st.fixed_dictionaries(
    {"days": st.integers(1, 50), "qty": st.integers(1, 3), "reason": st.sampled_from("MED")}
)
order = st.fixed_dictionaries({"days": st.integers(1, 55), "qty": st.integers(1, 3)})


def claimed(folder, events, orders, paid_units: int) -> tuple[int, int]:
    files = {
        "ledger": ledger(
            *(
                {"date": ago(e["days"]), "qty": -e["qty"], "reason": e["reason"], "ref": f"E{n}"}
                for n, e in enumerate(events)
            )
        ),
        "removals": removals(
            *(
                {
                    "order": f"RMV-{n}",
                    "type": "Disposal",
                    "requested": o["qty"],
                    "disposed": o["qty"],
                    "requested_on": ago(o["days"]),
                    "updated": ago(1),
                }
                for n, o in enumerate(orders)
            )
        ),
        "reimbursements": reimbursements(
            *(
                [{"date": ago(1), "reason": "Damaged_Warehouse", "cash": paid_units, "id": "9001"}]
                if paid_units
                else []
            )
        ),
        "catalog": catalog({"cost": "2.00"}),
    }
    result = audit_all(folder, files)
    units = {o.rule.code: sum(f["quantity"] or 0 for f in o.findings) for o in result.outcomes}
    return units["R02"], units["R12"]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(event, min_size=1, max_size=5),
    orders=st.lists(order, max_size=2),
    paid_units=st.integers(0, 4),
)
def test_losses_and_disposals_are_claimed_once(tmp_path_factory, events, orders, paid_units):
    lost = sum(e["qty"] for e in events if e["reason"] in "ME")
    disposed = sum(e["qty"] for e in events if e["reason"] == "D")
    r02, r12 = claimed(tmp_path_factory.mktemp("a"), events, orders, paid_units)
    assert r02 <= lost and r12 <= disposed
    assert r02 + r12 <= max(0, lost + disposed - paid_units)
    # one more unit reimbursed takes exactly one unit off, while there is one to take
    r02_more, r12_more = claimed(tmp_path_factory.mktemp("b"), events, orders, paid_units + 1)
    assert r02_more + r12_more == max(0, r02 + r12 - 1)
