"""The sample seller is deterministic, in sync with the committed files, and loads cleanly."""

from __future__ import annotations

import csv
import filecmp

from auditor.samples import generate
from rules.registry import RULES as REGISTERED
from tests.conftest import SAMPLES, load, value

RULES = {r.code for r in REGISTERED}


def test_committed_samples_match_the_generator(tmp_path):
    generate(tmp_path, seed=7)
    ours = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(SAMPLES)
        for p in SAMPLES.rglob("*")
        if p.is_file() and p.name != "expected_findings.csv"
    )
    assert ours == committed
    mismatch = [str(p) for p in ours if not filecmp.cmp(tmp_path / p, SAMPLES / p, shallow=False)]
    assert mismatch == []


def test_a_different_seed_gives_different_business_same_plants(tmp_path):
    a = generate(tmp_path / "a", seed=1)
    b = generate(tmp_path / "b", seed=2)
    assert len(a.orders) != len(b.orders)
    assert [(p.rule, p.kind) for p in a.plants] == [(p.rule, p.kind) for p in b.plants]


def test_every_rule_has_a_hit_and_a_near_miss():
    with open(SAMPLES / "planted_cases.csv", encoding="utf-8") as f:
        plants = list(csv.DictReader(f))
    assert {p["rule"] for p in plants if p["kind"] == "hit"} == RULES
    assert {p["rule"] for p in plants if p["kind"] == "near_miss"} == RULES


def test_samples_load_without_errors(db):
    results = load(db, SAMPLES)
    assert [r.name for r in results.values() if r.status == "error"] == []
    unknown = sorted(r.name for r in results.values() if r.status == "unknown")
    assert unknown == ["expected_findings.csv", "planted_cases.csv"]
    assert {r.report for r in results.values() if r.report} == {
        "ledger",
        "adjustments",
        "returns",
        "reimbursements",
        "fee_preview",
        "settlement",
        "transactions",
        "orders",
        "removals",
        "inbound",
        "catalog",
    }
    # The two ledger downloads overlap by a month: those rows count once.
    (_, first_end), (second_start, _) = db.execute(
        "SELECT min_date, max_date FROM files WHERE report = 'ledger' ORDER BY min_date"
    ).fetchall()
    overlap = value(
        db, f"SELECT count(*) FROM ledger WHERE date BETWEEN '{second_start}' AND '{first_end}'"
    )
    present = sum(r.rows_present for r in results.values() if r.report == "ledger")
    assert present == overlap > 0
    assert value(db, "SELECT sum(amount) FROM settlement_lines") == value(
        db, "SELECT sum(total_amount) FROM settlements"
    )
