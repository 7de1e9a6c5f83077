"""The seller's audit history: every run recorded, and each finding compared with the run before.

A finding's id is stable: the same rule and key give the same id from month to month, whatever
its amount does. Compared with the previous run a finding is `new`, `still_open` or `changed`
(units or amount moved), or `expired` when its window closed since (`unchanged` once it stays
expired); one that was there and is gone is `resolved`, with the reimbursements that arrived
for it since, when there are any.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb

from auditor.store import insert_rows

RULES_VERSION = "2"  # bump when a rule's logic changes, so history can tell runs apart

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS runs (
        run_id INTEGER PRIMARY KEY, as_of DATE, ran_at TIMESTAMP, rules_version VARCHAR,
        files JSON, totals JSON)""",
    """CREATE TABLE IF NOT EXISTS run_findings (
        run_id INTEGER, finding_id VARCHAR, rule VARCHAR, "key" VARCHAR, status VARCHAR,
        quantity BIGINT, amount DECIMAL(18,2), currency VARCHAR, claim_deadline DATE,
        change VARCHAR, reimbursement_ids VARCHAR[], recovered DECIMAL(18,2))""",
]

# How a finding's key finds the reimbursements that could settle it, per rule (R13's, a
# re-valuation, names no key a later reimbursement carries: it is settled by hand).
SETTLED_BY = {
    "R01": "sku = $key AND lower(reason) = 'fee_correction'",
    "R10": "sku = $key AND lower(reason) = 'fee_correction'",
    "R02": "fnsku = $key AND lower(reason) IN ('lost_warehouse', 'damaged_warehouse')",
    "R04": "amazon_order_id || '/' || fnsku = $key",
    "R08": "amazon_order_id || '/' || fnsku = $key",
    "R03": "(amazon_order_id = $key OR amazon_order_id || '/' || sku = $key)",
    "R06": "(amazon_order_id = $key OR amazon_order_id || '/' || sku = $key)",
    "R07": "(amazon_order_id = $key OR amazon_order_id || '/' || sku = $key)",
    "R05": "amazon_order_id || '/' || fnsku = $key",
    "R09": "amazon_order_id || '/' || fnsku = $key",
    "R11": "amazon_order_id || '/' || fnsku = $key",
    "R12": "fnsku = $key AND lower(reason) IN ('lost_warehouse', 'damaged_warehouse')",
    "R14": "(amazon_order_id = $key OR amazon_order_id || '/' || sku = $key)",
}


def finding_id(rule: str, key: str, bucket: str) -> str:
    """Stable across runs; an expired finding has an id of its own (`…-x`)."""
    base = f"{rule}-{hashlib.sha1(f'{rule}|{key}'.encode()).hexdigest()[:10]}"
    return base + "-x" if bucket == "expired" else base


def record_run(con: duckdb.DuckDBPyConnection, as_of: dt.date, findings: list[dict]) -> int:
    """Record this run and mark each finding against the previous run; call inside the run's
    transaction. Sets `finding_id` and `change` on every finding; returns the run id."""
    for sql in SCHEMA:
        con.execute(sql)
    previous = con.execute("SELECT max(run_id) FROM runs").fetchone()[0]
    run_id = (previous or 0) + 1
    before = {}
    previous_as_of = None
    if previous:
        previous_as_of = con.execute(
            "SELECT as_of FROM runs WHERE run_id = ?", [previous]
        ).fetchone()[0]
        for row in con.execute(
            """SELECT finding_id, rule, "key", status, quantity, amount, currency, claim_deadline
            FROM run_findings WHERE run_id = ? AND change <> 'resolved'
              AND (change <> 'expired' OR status = 'expired')""",
            [previous],
        ).fetchall():
            before[row[0]] = row
    rows = []
    claimable = {(f["rule"], f["key"]) for f in findings if f["bucket"] == "claimable"}
    for f in findings:
        f["finding_id"] = finding_id(f["rule"], f["key"], f["bucket"])
        if f["bucket"] == "pending" and (f["rule"], f["key"]) in claimable:
            # part of the claim can be filed now, part later (R03): the later part's own id
            f["finding_id"] += "-p"
        f["change"] = _change(f, before, previous is None)
        rows.append(
            [
                run_id,
                f["finding_id"],
                f["rule"],
                f["key"],
                f["status"],
                f["quantity"],
                f["amount"],
                f["currency"],
                f["claim_deadline"],
                f["change"],
                None,
                None,
            ]
        )
    now = {f["finding_id"] for f in findings}
    for fid, rule, key, status, quantity, amount, currency, deadline in before.values():
        if fid in now or fid + "-x" in now or status == "expired":
            continue  # still here, or its expiry is told by its expired successor
        if deadline and deadline < as_of:
            change, ids, recovered = "expired", None, None
        else:
            change = "resolved"
            ids, recovered = _settled_by(con, rule, key, previous_as_of, as_of)
        rows.append(
            [
                run_id,
                fid,
                rule,
                key,
                status,
                quantity,
                amount,
                currency,
                deadline,
                change,
                ids,
                recovered,
            ]
        )
    totals = {
        "findings": len(findings),
        "claimable": str(
            sum((f["amount"] or 0) for f in findings if f["status"] in ("open", "expiring"))
        ),
        "new": sum(1 for f in findings if f["change"] == "new"),
    }
    files = [r[0] for r in con.execute("SELECT sha256 FROM files ORDER BY file_id").fetchall()]
    con.execute(
        "INSERT INTO runs VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?)",
        [run_id, as_of, RULES_VERSION, json.dumps(files), json.dumps(totals)],
    )
    if rows:
        insert_rows(con, "run_findings", rows)
    return run_id


def _change(finding: dict, before: dict, first_run: bool) -> str:
    """new | still_open | changed; for a finding past its window: expired (this run) or
    unchanged (already expired last run)."""
    fid = finding["finding_id"]
    if first_run:
        return "new"
    if finding["bucket"] == "expired":
        if fid in before:
            return "unchanged"
        return "expired" if fid.removesuffix("-x") in before else "new"
    old = before.get(fid)
    if old is None:
        return "new"
    return (
        "changed"
        if (old[4], old[5]) != (finding["quantity"], finding["amount"])
        else ("still_open")
    )


def _settled_by(con, rule: str, key: str, since: dt.date | None, as_of: dt.date):
    """Reimbursements approved after the previous run that match the finding's key."""
    condition = SETTLED_BY.get(rule)
    if condition is None:
        return None, None
    row = con.execute(
        f"""SELECT list(reimbursement_id ORDER BY reimbursement_id), sum(net_amount)
        FROM reimbursements
        WHERE {condition} AND CAST(approval_date AS DATE) > $since
          AND CAST(approval_date AS DATE) <= $as_of AND net_amount > 0""",
        {"key": key, "since": since or dt.date.min, "as_of": as_of},
    ).fetchone()
    return (row[0], row[1]) if row and row[0] else (None, None)


def by_month(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Per month (of the runs' as-of dates, its last run): claimable then, new findings,
    findings resolved and what was recovered."""
    return con.execute(
        """WITH last_of_month AS (
            SELECT strftime(as_of, '%Y-%m') AS month, max(run_id) AS run_id FROM runs
            GROUP BY 1
        ), month_runs AS (
            SELECT strftime(r.as_of, '%Y-%m') AS month, f.* FROM run_findings f
            JOIN runs r USING (run_id)
        )
        SELECT m.month,
            (SELECT coalesce(sum(amount), 0) FROM run_findings f WHERE f.run_id = m.run_id
             AND f.status IN ('open', 'expiring') AND f.change NOT IN ('resolved', 'expired'))
                AS claimable,
            (SELECT count(*) FROM month_runs x WHERE x.month = m.month AND x.change = 'new')
                AS new_findings,
            (SELECT count(*) FROM month_runs x WHERE x.month = m.month
             AND x.change = 'resolved') AS resolved,
            (SELECT coalesce(sum(recovered), 0) FROM month_runs x WHERE x.month = m.month
             AND x.change = 'resolved') AS recovered
        FROM last_of_month m ORDER BY m.month"""
    ).fetchall()


def by_rule(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Per rule: amount found (each finding's latest amount), recovered, rate, claimable left."""
    return con.execute(
        """WITH latest AS (
            SELECT * FROM run_findings WHERE change <> 'resolved'
            QUALIFY row_number() OVER (PARTITION BY finding_id ORDER BY run_id DESC) = 1
        ), recovered AS (
            SELECT rule, sum(recovered) AS amount FROM run_findings
            WHERE change = 'resolved' GROUP BY rule
        ), now AS (
            SELECT rule, sum(amount) AS amount FROM run_findings
            WHERE run_id = (SELECT max(run_id) FROM runs) AND status IN ('open', 'expiring')
              AND change NOT IN ('resolved', 'expired')
            GROUP BY rule
        )
        SELECT l.rule, sum(l.amount) AS found, coalesce(any_value(r.amount), 0) AS recovered,
            CASE WHEN sum(l.amount) > 0
                 THEN round(100 * coalesce(any_value(r.amount), 0) / sum(l.amount), 1) END
                AS rate,
            coalesce(any_value(n.amount), 0) AS claimable
        FROM latest l LEFT JOIN recovered r USING (rule) LEFT JOIN now n USING (rule)
        GROUP BY l.rule ORDER BY l.rule"""
    ).fetchall()
