"""Run every rule over a seller's database as of a date, and collect the findings."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from auditor import facts as shared
from auditor import stages
from auditor.claims import settle as settle_claims
from auditor.fees import (
    RateCard,
    ReferralSchedule,
    builtin_cards,
    builtin_schedules,
    in_force,
    load_rate_card,
    load_referral_schedule,
)
from auditor.findings import claim_lines, findings
from auditor.history import record_run
from auditor.policy import load_policy_tables
from auditor.store import end_run, insert_rows
from rules.base import Rule
from rules.registry import RULES


@dataclass
class RuleOutcome:
    rule: Rule
    missing: list[str]  # report groups not loaded: the rule did not run
    findings: list[dict] = field(default_factory=list)


@dataclass
class Audit:
    as_of: dt.date
    outcomes: list[RuleOutcome]
    cards: list[RateCard]
    referral_source: str
    notes: list[str]
    windows: list[dict[str, str]] | None = None  # the seller's own claim windows, if given
    # (card, first day, last day) of the seller's orders each card was applied to
    applied: list[tuple[RateCard, dt.date, dt.date]] = field(default_factory=list)

    @property
    def findings(self) -> list[dict]:
        return [f for o in self.outcomes for f in o.findings]


def rate_cards(user_card: Path | None) -> list[RateCard]:
    """The built-in cards as they apply day by day, with a user's card taking precedence over
    the days it covers in its marketplace."""
    cards = builtin_cards()
    if user_card is not None:
        cards.append(replace(load_rate_card(Path(user_card)), priority=2))
    return in_force(cards)


def referral_schedules(user_schedule: Path | None) -> list[ReferralSchedule]:
    """The built-in referral schedules as they apply day by day, a user's over the days it
    covers in its marketplace."""
    schedules = builtin_schedules()
    if user_schedule is not None:
        schedules.append(replace(load_referral_schedule(Path(user_schedule)), priority=2))
    return in_force(schedules)


def run_audit(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rates: Path | None = None,
    referral: Path | None = None,
    windows: list[dict[str, str]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Audit:
    """Run every rule as of `as_of`; `progress(code)` is told each rule as it starts."""
    load_policy_tables(con, windows)
    cards = rate_cards(rates)
    schedules = referral_schedules(referral)
    facts = shared.Facts(as_of, cards, schedules)
    with stages.stage("rules"):
        shared.build(con, facts)
    applied, markets = [], set()
    for market, first, last in con.execute(
        """SELECT marketplace, min(posted_on), max(posted_on) FROM postings
        WHERE kind = 'Order' AND marketplace IS NOT NULL GROUP BY ALL ORDER BY 1"""
    ).fetchall():
        markets.add(market)
        for card in cards:
            start = max(first, card.effective_from)
            end = min(last, card.effective_to or dt.date.max)
            if card.marketplace == market and start <= end:
                applied.append((card, start, end))
    loaded = {row[0] for row in con.execute("SELECT DISTINCT report FROM files").fetchall()}
    outcomes = []
    evidence_parts = []
    for rule in RULES:
        missing = rule.missing(loaded)
        outcome = RuleOutcome(rule, missing)
        outcomes.append(outcome)
        if missing:
            continue
        if progress:
            progress(rule.code)
        with stages.stage("rules"):
            claim_lines(con, rule.query({"as_of": as_of}))
            shared.expand_order_evidence(con, "_lines")
        with stages.stage("findings"):
            outcome.findings = findings(con, rule.code, rule.slug, as_of)
            for finding in outcome.findings:
                finding["summary"] = rule.summarize(finding)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _evidence_{rule.code} "
                "AS SELECT * FROM _finding_evidence"
            )
        evidence_parts.append(f"SELECT * FROM _evidence_{rule.code}")
    sources = sorted(
        {s.source for s in schedules if s.marketplace in markets},
        key=lambda s: (not s.startswith("built-in"), s),
    )
    audit = Audit(as_of, outcomes, cards, ", ".join(sources), facts.notes, windows, applied)
    with stages.stage("findings"):
        if evidence_parts:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE finding_evidence AS "
                + " UNION ALL ".join(evidence_parts)
            )
        save_run(con, audit, bool(evidence_parts))
        # The run is saved; what the rules built is not needed again and would hold memory the
        # workbook and evidence.csv need for a large seller.
        scratch = [f"_evidence_{rule.code}" for rule in RULES] + SCRATCH
        for table in scratch:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return audit


SCRATCH = [
    "finding_evidence",
    "_finding_evidence",
    "_lines",
    "_dated",
    "_pointers",
    "_pointed",
    *shared.TABLES,
]


# The finding fields kept with the run (the CSV's columns and what the workbook also shows).
FINDING_FIELDS = {
    "rule": "VARCHAR",
    "rule_name": "VARCHAR",
    "status": "VARCHAR",
    "key": "VARCHAR",
    "sku": "VARCHAR",
    "fnsku": "VARCHAR",
    "asin": "VARCHAR",
    "order_id": "VARCHAR",
    "shipment_id": "VARCHAR",
    "event_date": "DATE",
    "quantity": "BIGINT",
    "amount": "DECIMAL(18,2)",
    "currency": "VARCHAR",
    "valuation": "VARCHAR",
    "eligible_from": "DATE",
    "claim_deadline": "DATE",
    "evidence_rows": "BIGINT",
    "summary": "VARCHAR",
    "unit_value": "DECIMAL(18,4)",
    "last_date": "DATE",
    "refs": "VARCHAR[]",
    "bucket": "VARCHAR",
    "finding_id": "VARCHAR",  # stable from run to run (auditor.history)
    "change": "VARCHAR",  # against the previous run: new, still_open, changed
}
FINDING_TABLE = ", ".join(f'"{name}" {kind}' for name, kind in FINDING_FIELDS.items())


def save_run(con: duckdb.DuckDBPyConnection, audit: Audit, has_evidence: bool) -> None:
    """Keep the run in the database (`last_run`, `last_findings`, `last_evidence`), in one
    transaction, so that the workbook can be written again from it."""
    info = {
        "as_of": audit.as_of.isoformat(),
        "cards": [
            {
                "name": c.name
                + (" (fees not known: not checked)" if c.data.get("fees_unknown") else ""),
                "source": c.source,
                "from": str(first),
                "to": str(last),
            }
            for c, first, last in audit.applied
        ],
        "referral": audit.referral_source,
        "notes": audit.notes,
        "not_run": {o.rule.code: o.missing for o in audit.outcomes if o.missing},
        "windows": audit.windows,
    }
    con.execute("BEGIN TRANSACTION")
    try:
        record_run(con, audit.as_of, audit.findings)
        settle_claims(con, audit.as_of)
        rows = [[f.get(c) for c in FINDING_FIELDS] for f in audit.findings]
        con.execute(f"CREATE OR REPLACE TABLE last_findings ({FINDING_TABLE})")
        if rows:
            insert_rows(con, "last_findings", rows)
        con.execute(
            'CREATE OR REPLACE TABLE last_evidence (rule VARCHAR, "key" VARCHAR, '
            "bucket VARCHAR, report VARCHAR, file_id INTEGER, line BIGINT)"
        )
        if has_evidence:
            con.execute("INSERT INTO last_evidence SELECT * FROM finding_evidence")
        con.execute("CREATE OR REPLACE TABLE last_run (info JSON, ran_at TIMESTAMP)")
        con.execute("INSERT INTO last_run VALUES (?, now()::TIMESTAMP)", [json.dumps(info)])
        end_run(con)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
