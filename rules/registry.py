"""The ordered list of rules. Explicit, not discovered: a rule exists when it is listed here."""

from importlib import import_module

from rules.base import Rule

# Module names in run order; a code is never reused.
NAMES = (
    "r01_size_tier_overcharge",
    "r02_warehouse_lost_damaged",
    "r03_refund_exceeds_return",
    "r04_inbound_shortage",
    "r05_return_not_restocked",
    "r06_restocking_fee_not_credited",
    "r07_refund_never_returned",
    "r08_deducted_after_closure",
    "r09_return_damaged_by_amazon_or_carrier",
    "r10_referral_rate_overcharge",
    "r11_removal_shortfall",
    "r12_disposed_without_request",
    "r13_reimbursed_below_cost",
    "r14_refund_admin_fee_overcharge",
)
MODULES = tuple(import_module(f"rules.{name}") for name in NAMES)
RULES: tuple[Rule, ...] = tuple(m.RULE for m in MODULES)
BY_CODE = {r.code: r for r in RULES}
