"""`fba-audit claims` (mark, import) and `fba-audit history`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import click
from rich.table import Table

from auditor import history
from auditor.claims import ClaimError, claims_sheet
from auditor.claims import import_workbook as import_claims
from auditor.claims import mark as mark_claim
from auditor.cli.app import db_option, main, open_db, output_console
from auditor.store import (
    has_table,
)


@main.group(name="claims")
def claims_group() -> None:
    """Record the claims you filed, and read them back from the workbook.

    \b
    Example:
        fba-audit claims mark R02-05a499926f --filed --case-id 12345678901 --db acme.duckdb
    """


@claims_group.command(name="mark")
@click.argument("finding_id")
@click.option("--filed", is_flag=True, help="You filed a case for it.")
@click.option("--denied", is_flag=True, help="Amazon denied the case.")
@click.option("--withdrawn", is_flag=True, help="You withdrew it.")
@click.option("--case-id", help="The Seller Support case id.")
@click.option(
    "--date",
    "filed_on",
    type=click.DateTime(["%Y-%m-%d"]),
    help="When you filed it (default today).",
)
@db_option
def claims_mark(finding_id, filed, denied, withdrawn, case_id, filed_on, db_path) -> None:
    """Mark FINDING_ID (from the Claims sheet) as filed, denied or withdrawn.

    \b
    Example:
        fba-audit claims mark R04-0e55ea8735 --filed --case-id 17712345678 --date 2026-01-20 \\
            --db acme.duckdb
    """
    said = [
        name for name, on in (("filed", filed), ("denied", denied), ("withdrawn", withdrawn)) if on
    ]
    if len(said) != 1:
        raise click.UsageError(
            "say what happened with one of --filed, --denied or --withdrawn"
            + (f" (not {' and '.join('--' + n for n in said)})" if said else "")
        )
    state = said[0]
    day = filed_on.date() if filed_on else (dt.date.today() if state == "filed" else None)
    con = open_db(db_path, existing=True)
    try:
        mark_claim(con, finding_id, state, case_id, day)
    except ClaimError as error:
        raise click.ClickException(str(error)) from None
    finally:
        con.close()
    click.echo(f"{finding_id}: {state}")


@claims_group.command(name="import")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def claims_import(workbook: Path, db_path: Path) -> None:
    """Read the Case id, Date filed and Outcome columns you filled in the Claims sheet.

    \b
    Example:
        fba-audit claims import claims.xlsx --db acme.duckdb
    """
    try:
        claims_sheet(workbook)  # a file that is not one is refused before the database opens
    except ClaimError as error:
        raise click.ClickException(str(error)) from None
    con = open_db(db_path, existing=True)
    try:
        count = import_claims(con, workbook)
    except ClaimError as error:
        raise click.ClickException(str(error)) from None
    finally:
        con.close()
    click.echo(f"recorded {count} claims from {workbook}")


@main.command(name="history")
@db_option
def history_command(db_path: Path) -> None:
    """What was found, recovered and is left to claim, by month and by rule.

    \b
    Example:
        fba-audit history --db acme.duckdb
    """
    con = open_db(db_path, existing=True)
    try:
        if not has_table(con, "runs"):
            raise click.ClickException(f"{db_path}: no audit yet; run fba-audit run first")
        months, rules = history.by_month(con), history.by_rule(con)
    finally:
        con.close()
    console = output_console()
    table = Table(title="By month", title_justify="left")
    for heading in ("month", "claimable", "new findings", "resolved", "recovered"):
        table.add_column(heading, justify="left" if heading == "month" else "right")
    for month, claimable, new, resolved, recovered in months:
        table.add_row(month, f"{claimable:,.2f}", str(new), str(resolved), f"{recovered:,.2f}")
    console.print(table)
    table = Table(title="By rule", title_justify="left")
    for heading in ("rule", "found", "recovered", "recovery rate", "claimable left"):
        table.add_column(heading, justify="left" if heading == "rule" else "right")
    for rule, found, recovered, rate, left in rules:
        table.add_row(
            rule,
            f"{found or 0:,.2f}",
            f"{recovered:,.2f}",
            "" if rate is None else f"{rate}%",
            f"{left:,.2f}",
        )
    console.print(table)
    recovered = sum((r[2] for r in rules), Decimal(0))
    click.echo(f"recovered to date: {recovered:,.2f}")
