"""The US 2026, UK and German sellers of auditor.samples.marketplaces: R01 and R10 run on every
order line a card and schedule cover, the run lists the others as not checked (seasons whose
fees are not built in), and the findings are exactly the two planted overcharges, byte for byte
as in tests/inputs/sellers/."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from auditor.cli import main
from auditor.samples.marketplaces import MARKETS, generate_market

GOLDEN = Path(__file__).parent.parent / "inputs" / "sellers"
# order lines each seller's run lists as not checked, and why
NOT_CHECKED = {
    "us-2026": [],
    "uk": [
        "R10: 64 order lines of UK posted 2025-12-15 to 2026-01-31 not checked",
        "R01: 122 order lines posted 2025-10-15 to 2026-01-14 not checked",
    ],
    "de": ["R01: 122 order lines posted 2025-10-15 to 2026-01-14 not checked"],
}


def audit_market(tmp_path, key: str):
    """Generate the seller `key` and run the audit on it: (its market, the CLI's result)."""
    market = generate_market(key, tmp_path / "reports")
    arguments = ["run", str(tmp_path / "reports"), "--as-of", market.as_of.isoformat()]
    arguments += ["--db", str(tmp_path / "s.duckdb"), "--out", str(tmp_path / "out")]
    return market, CliRunner().invoke(main, arguments)


@pytest.mark.parametrize("key", sorted(MARKETS))
def test_a_marketplace_seller_gets_exactly_its_planted_fee_claims(tmp_path, key):
    market, result = audit_market(tmp_path, key)
    assert result.exit_code == 0, result.output
    findings = (tmp_path / "out" / "findings.csv").read_bytes()
    assert findings == (GOLDEN / f"{key}_expected_findings.csv").read_bytes()
    with open(tmp_path / "out" / "findings.csv", encoding="utf-8") as f:
        found = [(r["rule"], r["key"], r["currency"]) for r in csv.DictReader(f)]
    assert found == [
        ("R01", market.measured[0], market.currency),
        ("R10", market.overrate[0], market.currency),
    ]
    notes = [line for line in result.output.splitlines() if line.startswith("note: R")]
    assert len(notes) == len(NOT_CHECKED[key])
    for expected in NOT_CHECKED[key]:
        assert any(expected in note for note in notes), (expected, notes)


def test_days_no_card_covers_are_named_on_the_summary(tmp_path):
    audit_market(tmp_path, "de")
    summary = load_workbook(tmp_path / "out" / "claims.xlsx")["Summary"]
    rows = [r for r in summary.iter_rows(values_only=True) if r and r[0] == "Not checked"]
    assert len(rows) == 1
    assert rows[0][1].startswith("R01: 122 order lines posted 2025-10-15 to 2026-01-14 not checked")
