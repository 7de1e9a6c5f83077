"""The claims a seller filed: marked by hand or read back from the workbook's Claims sheet, and
settled automatically when Amazon's reimbursement arrives."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from auditor.store import has_table

FOLLOW_UP_DAYS = 30  # a filed claim unpaid this long wants a follow-up with Seller Support
STATES = ("filed", "denied", "withdrawn", "paid")

SCHEMA = """CREATE TABLE IF NOT EXISTS claims (
    finding_id VARCHAR PRIMARY KEY, rule VARCHAR, "key" VARCHAR, state VARCHAR,
    case_id VARCHAR, filed_on DATE, outcome VARCHAR, recovered DECIMAL(18,2),
    reimbursement_ids VARCHAR[], updated_at TIMESTAMP)"""


# What the Claims sheet's Outcome dropdown offers, and the state each one records.
OUTCOME_CHOICES = ("filed", "paid", "partly paid", "denied", "withdrawn")
OUTCOMES = {"paid": ("paid", "partly paid"), "denied": "denied", "withdrawn": "withdrawn"}
OPTIONAL = ("Amount reimbursed", "Reimbursement id")


class ClaimError(Exception):
    pass


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA)


def mark(
    con,
    finding_id: str,
    state: str,
    case_id: str | None = None,
    filed_on: dt.date | None = None,
    outcome: str | None = None,
    recovered: Decimal | None = None,
    reimbursement_ids: list[str] | None = None,
) -> None:
    """Record what the seller did with a finding (filed, denied, withdrawn, paid) and, when
    they know it, what Amazon paid and under which reimbursement ids."""
    ensure(con)
    known = (
        con.execute(
            'SELECT rule, "key" FROM run_findings WHERE finding_id = ? '
            "ORDER BY run_id DESC LIMIT 1",
            [finding_id],
        ).fetchone()
        if has_table(con, "run_findings")
        else None
    )
    if known is None:
        raise ClaimError(
            f"no finding {finding_id} in this database; the ids are in the Claims sheet's "
            "first column"
        )
    con.execute(
        """INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)
        ON CONFLICT (finding_id) DO UPDATE SET state = excluded.state,
            case_id = coalesce(excluded.case_id, claims.case_id),
            filed_on = coalesce(excluded.filed_on, claims.filed_on),
            outcome = coalesce(excluded.outcome, claims.outcome),
            recovered = coalesce(excluded.recovered, claims.recovered),
            reimbursement_ids = coalesce(excluded.reimbursement_ids, claims.reimbursement_ids),
            updated_at = excluded.updated_at""",
        [
            finding_id,
            known[0],
            known[1],
            state,
            case_id,
            filed_on,
            outcome,
            recovered,
            reimbursement_ids,
        ],
    )


def claims_sheet(path: Path):
    """The Claims sheet of a workbook the tool wrote, or a ClaimError saying it is not one."""
    try:
        return load_workbook(path, read_only=True)["Claims"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, InvalidFileException):
        raise ClaimError(
            f"{path}: not a claims workbook with a Claims sheet; pass the claims.xlsx that "
            "fba-audit run wrote"
        ) from None


def import_workbook(con, path: Path) -> int:
    """Read the Claims sheet's Case id / Date filed / Outcome columns back; returns how many
    claims it recorded."""
    sheet = claims_sheet(path)
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "") for h in next(rows, [])]
    try:
        at = {
            name: header.index(name) for name in ("Finding id", "Case id", "Date filed", "Outcome")
        }
    except ValueError:
        raise ClaimError(
            f"{path}: the Claims sheet lacks Finding id, Case id, Date filed or "
            "Outcome columns; write it again with fba-audit workbook"
        ) from None
    optional = {n: header.index(n) for n in OPTIONAL if n in header}
    count = 0
    for line, row in enumerate(rows, start=2):
        # a row's empty trailing cells are not read back
        row = tuple(row) + (None,) * (len(header) - len(row))
        fid, case_id, filed, outcome = (row[at[n]] for n in at)
        paid, paid_ids = (row[optional[n]] if n in optional else None for n in OPTIONAL)
        if not fid or not (case_id or filed or outcome or paid or paid_ids):
            continue
        text = str(outcome or "").strip().lower()
        state = next((s for s, words in OUTCOMES.items() if text.startswith(words)), "filed")
        try:
            recovered = None if paid in (None, "") else Decimal(str(paid).replace(",", ""))
        except InvalidOperation:
            raise ClaimError(
                f"{path}: Claims line {line}: amount reimbursed {paid!r} is not an amount; "
                "write it as a number like 12.50"
            ) from None
        if isinstance(filed, dt.datetime):
            filed = filed.date()
        elif isinstance(filed, str) and filed.strip():
            try:
                filed = dt.date.fromisoformat(filed.strip())
            except ValueError:
                raise ClaimError(
                    f"{path}: Claims line {line}: date filed {filed!r} is not a "
                    "date; write it as YYYY-MM-DD"
                ) from None
        mark(
            con,
            str(fid),
            state,
            str(case_id) if case_id else None,
            filed or None,
            str(outcome) if outcome else None,
            recovered,
            [i.strip() for i in str(paid_ids).split(",") if i.strip()] if paid_ids else None,
        )
        count += 1
    return count


def keep_typed(con, path: Path) -> int:
    """Before a claims workbook is written over, record what the seller typed in it (case ids,
    dates filed, outcomes), so the new one is filled in from the database and nothing typed is
    lost. Refuses, with what to do, when the file there cannot be read as this database's."""
    if not Path(path).exists():
        return 0
    try:
        return import_workbook(con, Path(path))
    except ClaimError as error:
        raise ClaimError(
            f"{error}. {path} would be written over, losing what was typed in it: move it "
            "away, or write the workbook elsewhere with --out"
        ) from None


def settle(con, as_of: dt.date) -> None:
    """A filed claim whose reimbursement arrived is paid: matched by the reimbursement's case
    id, or by the finding having been resolved with linked reimbursements."""
    ensure(con)
    con.execute(
        """UPDATE claims SET state = 'paid', recovered = r.amount, reimbursement_ids = r.ids,
            updated_at = now()::TIMESTAMP
        FROM (SELECT case_id, sum(net_amount) AS amount,
                     list(reimbursement_id ORDER BY reimbursement_id) AS ids
              FROM reimbursements WHERE case_id IS NOT NULL AND net_amount > 0
              GROUP BY case_id) r
        WHERE claims.state = 'filed' AND claims.case_id = r.case_id"""
    )
    if has_table(con, "run_findings"):
        con.execute(
            """UPDATE claims SET state = 'paid', recovered = f.recovered,
                reimbursement_ids = f.reimbursement_ids, updated_at = now()::TIMESTAMP
            FROM run_findings f
            WHERE claims.state = 'filed' AND f.finding_id = claims.finding_id
              AND f.change = 'resolved' AND f.reimbursement_ids IS NOT NULL
              AND f.run_id = (SELECT max(run_id) FROM runs)"""
        )


def follow_ups(con, as_of: dt.date) -> list[tuple[str, str, dt.date]]:
    """Filed claims still unpaid after FOLLOW_UP_DAYS: (finding id, case id, filed on)."""
    ensure(con)
    return con.execute(
        f"""SELECT finding_id, case_id, filed_on FROM claims
        WHERE state = 'filed' AND filed_on IS NOT NULL
          AND filed_on <= DATE '{as_of.isoformat()}' - {FOLLOW_UP_DAYS}
        ORDER BY filed_on, finding_id"""
    ).fetchall()
