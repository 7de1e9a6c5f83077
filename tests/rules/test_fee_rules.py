"""R01 and R10: fees charged above the card and the category's rate, with near misses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import resources

import pytest

from auditor.audit import run_audit
from auditor.ingest import ingest
from auditor.store import connect
from tests.rules.builders import (
    AS_OF,
    ago,
    audit,
    audit_all,
    brief,
    catalog,
    fee_preview,
    order,
    settlement,
)


def deadline(days_ago: int) -> str:
    return (AS_OF - dt.timedelta(days=days_ago) + dt.timedelta(days=90)).isoformat()


# True package 12 x 2.5 x 0.6 in, 4.8 oz: small standard, $3.24 at $10 and over, $2.47 below;
# in the 2025 peak season (15 Oct 2025 - 14 Jan 2026, where most of these orders fall) $3.44 and
# $2.67.
SPATULA = catalog(
    {"cost": "2.10", "dims": ("12", "2.5", "0.6"), "weight": "4.8", "category": "Kitchen"}
)

R01_CASES = {
    "charged the large standard fee for a small standard unit": (
        {
            "catalog": SPATULA,
            "settlement": settlement(
                order("O1", ago(30), "12.99", fee="3.90"),
                order("O2", ago(20), "12.99", qty=2, fee="3.90"),
            ),
        },
        [("SKU1", "open", None, "1.38", deadline(30))],
    ),
    "only overcharges inside the window are claimable": (
        {
            "catalog": SPATULA,
            "settlement": settlement(
                order("O1", ago(120), "12.99", fee="3.90"),
                order("O2", ago(20), "12.99", fee="3.90"),
            ),
        },
        [
            ("SKU1", "expired", None, "0.66", deadline(120)),  # 17 Sep 2025: not peak
            ("SKU1", "open", None, "0.46", deadline(20)),
        ],
    ),
    "near miss: charged the right fee": (
        {"catalog": SPATULA, "settlement": settlement(order("O1", ago(30), "12.99"))},
        [],
    ),
    "near miss: half a cent a unit over": (
        {
            "catalog": SPATULA,
            "settlement": settlement(order("O1", ago(30), "12.99", qty=2, fee="3.245")),
        },
        [],
    ),
    "low-price fee under $10": (
        {"catalog": SPATULA, "settlement": settlement(order("O1", ago(30), "9.49", fee="3.24"))},
        [("SKU1", "open", None, "0.57", deadline(30))],
    ),
    "near miss: low-price fee charged under $10": (
        {"catalog": SPATULA, "settlement": settlement(order("O1", ago(30), "9.49", fee="2.67"))},
        [],
    ),
    "fee preview dimensions when the catalog has none": (
        {
            "fee_preview": fee_preview(
                {"dims": ("12", "2.5", "0.6"), "weight_lb": "0.3", "tier": "Small standard"}
            ),
            "settlement": settlement(order("O1", ago(30), "12.99", fee="3.90")),
        },
        [("SKU1", "open", None, "0.46", deadline(30))],
    ),
    "near miss: Amazon's measurement is right": (
        {
            "fee_preview": fee_preview({"dims": ("12", "2.5", "1.1"), "weight_lb": "0.3"}),
            "settlement": settlement(order("O1", ago(30), "12.99", fee="3.90")),
        },
        [],
    ),
}


@pytest.mark.parametrize("case", R01_CASES)
def test_r01(tmp_path, case):
    files, expected = R01_CASES[case]
    assert brief(audit(tmp_path, files, "R01")) == expected


def test_r01_checks_no_order_posted_after_its_card(tmp_path):
    (tmp_path / "catalog.txt").write_text(SPATULA)
    (tmp_path / "settlement.txt").write_text(
        settlement(order("O1", "2027-02-01", "12.99", fee="3.90"))
    )
    con = connect(tmp_path / "s.duckdb")
    ingest(con, tmp_path)
    result = run_audit(con, dt.date(2027, 3, 1))
    con.close()
    assert next(o for o in result.outcomes if o.rule.code == "R01").findings == []
    assert any(
        n.startswith("R01: 1 order lines posted 2027-02-01 to 2027-02-01 not checked")
        for n in result.notes
    )


def test_r01_uses_the_sellers_own_card(tmp_path):
    card = tmp_path / "card.toml"
    text = resources.files("auditor.data").joinpath("us_fba_2024-02-05.toml").read_text()
    card.write_text(
        text.replace("effective_from = 2024-02-05", "effective_from = 2026-01-15")
        .replace("effective_to = 2026-01-14", "")
        .replace('[6, "3.24"]', '[6, "3.49"]')
        .replace('name = "US FBA', 'name = "My US FBA')
    )
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "catalog.txt").write_text(SPATULA)
    (tmp_path / "r" / "settlement.txt").write_text(
        settlement(order("O1", "2026-02-01", "12.99", fee="3.90"))
    )
    con = connect(tmp_path / "s.duckdb")
    ingest(con, tmp_path / "r")
    result = run_audit(con, dt.date(2026, 3, 1), rates=card)
    con.close()
    findings = next(o for o in result.outcomes if o.rule.code == "R01").findings
    assert [(f["key"], f"{f['amount']:.2f}") for f in findings] == [("SKU1", "0.41")]
    assert any(c.name.startswith("My US FBA") for c in result.cards)


SERUM = catalog({"category": "Beauty, Health & Personal Care"})

R10_CASES = {
    "Beauty at $9.49 charged 15%, not 8%": (
        {
            "catalog": SERUM,
            "settlement": settlement(
                order("O1", ago(30), "9.49", commission="1.42"),
                order("O2", ago(10), "9.49", qty=2, commission="2.84"),
            ),
        },
        [("SKU1", "open", None, "1.98", deadline(30))],
    ),
    "near miss: Clothing at $17.99 charged 10%": (
        {
            "catalog": catalog({"category": "Clothing & Accessories"}),
            "settlement": settlement(order("O1", ago(30), "17.99", commission="1.80")),
        },
        [],
    ),
    "Clothing at $14.99 charged 10% instead of 5%": (
        {
            "catalog": catalog({"category": "clothing and accessories"}),
            "settlement": settlement(order("O1", ago(30), "14.99", commission="1.50")),
        },
        [("SKU1", "open", None, "0.75", deadline(30))],
    ),
    "near miss: the $0.30 minimum": (
        {
            "catalog": catalog({"category": "Home & Kitchen"}),
            "settlement": settlement(order("O1", ago(30), "1.50", commission="0.30")),
        },
        [],
    ),
    "near miss: under a cent a unit": (
        {
            "catalog": SERUM,
            "settlement": settlement(order("O1", ago(30), "9.49", qty=2, commission="1.53")),
        },
        [],
    ),
    "category from the fee preview's product group": (
        {
            "fee_preview": fee_preview({"group": "Beauty"}),
            "settlement": settlement(order("O1", ago(30), "9.49", commission="1.42")),
        },
        [("SKU1", "open", None, "0.66", deadline(30))],
    ),
    "portion tiers: Electronics Accessories at $150": (
        {
            "catalog": catalog({"category": "Electronics Accessories"}),
            "settlement": settlement(order("O1", ago(30), "150.00", commission="22.50")),
        },
        [("SKU1", "open", None, "3.50", deadline(30))],
    ),
}


@pytest.mark.parametrize("case", R10_CASES)
def test_r10(tmp_path, case):
    files, expected = R10_CASES[case]
    assert brief(audit(tmp_path, files, "R10")) == expected


def test_r10_lists_unknown_categories(tmp_path):
    (tmp_path / "catalog.txt").write_text(catalog({"category": "Gift Cards"}))
    (tmp_path / "settlement.txt").write_text(settlement(order("O1", ago(30), "25.00")))
    con = connect(tmp_path / "s.duckdb")
    ingest(con, tmp_path)
    result = run_audit(con, AS_OF)
    con.close()
    assert next(o for o in result.outcomes if o.rule.code == "R10").findings == []
    assert "R10: category unknown for SKU1; add referral-category to your catalog" in result.notes


# Revision 2: each posting of a split shipment is checked for its own quantity; summaries quote
# the fee that applied; a catalog category is never replaced by a guess.


def test_an_order_posted_in_two_shipments_is_charged_per_posting(tmp_path):
    files = {
        "catalog": SPATULA,
        "settlement": settlement(
            order("O1", ago(30), "12.99", qty=2, fee="3.24"),
            order("O1", ago(29), "12.99", qty=1, fee="3.24"),
        ),
    }
    assert brief(audit(tmp_path, files, "R01")) == []


def test_the_overcharged_posting_of_a_split_shipment_is_claimed_alone(tmp_path):
    files = {
        "catalog": SPATULA,
        "settlement": settlement(
            order("O1", ago(30), "12.99", qty=2, fee="3.24"),
            order("O1", ago(20), "12.99", qty=1, fee="3.90"),
        ),
    }
    # the peak season's small standard fee is $3.44: 3.90 - 3.44
    assert brief(audit(tmp_path, files, "R01")) == [("SKU1", "open", None, "0.46", deadline(20))]


def test_a_split_shipments_referral_fees_are_checked_per_posting(tmp_path):
    files = {
        "catalog": SERUM,
        "settlement": settlement(
            order("O1", ago(30), "9.49", qty=2, commission="1.52"),
            order("O1", ago(29), "9.49", qty=1, commission="0.76"),
        ),
    }
    assert brief(audit(tmp_path, files, "R10")) == []


def test_the_summary_quotes_each_fee_applied_and_the_tier_the_fee_preview_got_wrong(tmp_path):
    files = {
        "catalog": SPATULA,
        "fee_preview": fee_preview(
            {"dims": ("12", "3", "1.1"), "weight_lb": "0.3", "tier": "Large standard"}
        ),
        "settlement": settlement(
            order("O1", ago(30), "12.99", fee="3.90"), order("O2", ago(25), "9.49", fee="3.90")
        ),
    }
    [finding] = audit(tmp_path, files, "R01")
    assert finding["amount"] == Decimal("1.69")  # 3.90 - 3.44 and 3.90 - 2.67, peak season
    summary = finding["summary"]
    assert "by its catalog dimensions it is small standard" in summary
    assert "$2.67 per unit (US FBA fulfillment fees, holiday peak 2025, a price under $10.00)" in (
        summary
    )
    assert (
        "$3.44 per unit (US FBA fulfillment fees, holiday peak 2025, a price of $10.00 or more)"
        in summary
    )
    assert "The fee preview lists it as Large standard" in summary
    assert "please re-measure" in summary


def test_a_fee_preview_tier_that_agrees_with_the_dimensions_is_not_called_wrong(tmp_path):
    files = {
        "catalog": SPATULA,
        "fee_preview": fee_preview(
            {"dims": ("12", "2.5", "0.6"), "weight_lb": "0.3", "tier": "Small standard"}
        ),
        "settlement": settlement(order("O1", ago(30), "12.99", fee="3.90")),
    }
    [finding] = audit(tmp_path, files, "R01")
    assert "fee preview lists it" not in finding["summary"]


def test_the_referral_summary_quotes_the_category_fee_at_the_price_charged(tmp_path):
    files = {"catalog": SERUM, "settlement": settlement(order("O1", ago(30), "9.49"))}
    [finding] = audit(tmp_path, files, "R10")
    assert "Beauty, Health & Personal Care rate" in finding["summary"]
    assert "$0.76 per unit at a $9.49 sales price" in finding["summary"]


def test_a_catalog_category_the_schedule_does_not_know_is_never_replaced_by_a_guess(tmp_path):
    files = {
        "catalog": catalog({"category": "Widgets"}),
        "fee_preview": fee_preview({"group": "Beauty"}),
        "settlement": settlement(order("O1", ago(30), "9.49", commission="1.42")),
    }
    result = audit_all(tmp_path, files)
    assert [f for f in result.findings if f["rule"] == "R10"] == []
    assert "R10: category unknown for SKU1; add referral-category to your catalog" in result.notes


def test_the_fee_previews_group_is_used_when_the_catalog_names_no_category(tmp_path):
    files = {
        "catalog": catalog({"cost": "2.00"}),
        "fee_preview": fee_preview({"group": "Beauty"}),
        "settlement": settlement(order("O1", ago(30), "9.49", commission="1.42")),
    }
    assert brief(audit(tmp_path, files, "R10")) == [("SKU1", "open", None, "0.66", deadline(30))]
