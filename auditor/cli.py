"""The `fba-audit` command. A thin layer: the work lives in importable functions."""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import click
import duckdb
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from auditor import history, stages
from auditor.audit import Audit, run_audit
from auditor.claims import ClaimError, follow_ups, keep_typed
from auditor.claims import import_workbook as import_claims
from auditor.claims import mark as mark_claim
from auditor.fees import builtin_cards, builtin_schedules, in_force
from auditor.findings import CLAIMABLE, WRITERS, write_csv, write_evidence
from auditor.ingest import FileResult, ingest
from auditor.policy import WindowsError, read_windows
from auditor.reports import REPORTS
from auditor.store import (
    DEFAULT_DB,
    MEMORY_LIMIT,
    DatabaseUnusable,
    begin_run,
    connect,
    end_run,
    has_table,
    recover,
)
from auditor.workbook import NoRun, write_workbook
from rules.registry import BY_CODE, RULES

CONTEXT = {"help_option_names": ["-h", "--help"]}

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="The seller's database file (created when missing).",
)
reports_argument = click.argument(
    "reports_dir", type=click.Path(exists=True, path_type=Path), metavar="REPORTS_DIR"
)
encoding_option = click.option(
    "--encoding",
    default=None,
    help="Read every file in this encoding (e.g. cp1252, cp932) instead of detecting it.",
)


class Commands(click.Group):
    """Commands whose database runs out of memory end with one line saying what to do."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except duckdb.OutOfMemoryException as error:
            raise click.ClickException(
                f"out of memory: {str(error).splitlines()[0]} The database may use "
                f"{MEMORY_LIMIT} and spills the rest to disk beside it; free disk space there, "
                "or set FBA_AUDIT_MEMORY_LIMIT higher (e.g. 4GiB) and run again: "
                "nothing is lost, the run starts over from what was loaded."
            ) from None


@click.group(context_settings=CONTEXT, cls=Commands)
@click.version_option(package_name="fba-auditor")
def main() -> None:
    """fba-audit: find the money Amazon owes an FBA seller.

    \b
    Example:
        fba-audit ingest sample_reports --db seller.duckdb
    """


@main.command(name="ingest")
@reports_argument
@db_option
@encoding_option
def ingest_command(reports_dir: Path, db_path: Path, encoding: str | None) -> None:
    """Load every Seller Central report in REPORTS_DIR into the database.

    The report type is read from each file's header, whatever the file is called; folders are
    walked and .zip/.gz downloads unpacked. Loading the same file again adds nothing.

    \b
    Example:
        fba-audit ingest ~/Downloads/amazon-2026-10 --db acme.duckdb
    """
    results = load_reports(reports_dir, db_path, encoding)
    if any(r.status == "error" for r in results):
        sys.exit(1)


def open_db(db_path: Path):
    """Open the seller's database, undoing first what an interrupted run left half-loaded."""
    try:
        con = connect(db_path)
    except DatabaseUnusable as error:
        raise click.ClickException(str(error)) from None
    undone = recover(con)
    if undone:
        click.echo(
            f"an interrupted run was undone: {undone} files it had loaded were unloaded", err=True
        )
    return con


def load_reports(reports_dir: Path, db_path: Path, encoding: str | None) -> list[FileResult]:
    con = open_db(db_path)
    try:
        begin_run(con, "ingest")
        results = load_into(con, reports_dir, encoding)
        end_run(con)
        return results
    finally:
        con.close()


def load_into(con, reports_dir: Path, encoding: str | None) -> list[FileResult]:
    console = Console(stderr=True)
    total = sum(p.stat().st_size for p in _files(reports_dir))
    with Progress(
        TextColumn("[bold]loading"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("", total=total or 1)
        results = ingest(
            con,
            reports_dir,
            progress=lambda name, size: bar.update(task, advance=size, description=name),
            encoding=encoding,
        )
    print_summary(results, output_console())
    return results


def output_console() -> Console:
    """Where tables go: the terminal's width, or 120 columns into a file or pipe, so that a
    logged run keeps each row on one line."""
    console = Console()
    return console if console.is_terminal else Console(width=120)


def _files(root: Path) -> list[Path]:
    return [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]


def print_summary(results: list[FileResult], console: Console) -> None:
    table = Table(title="Reports loaded", title_justify="left")
    headings = ("report", "files", "rows loaded", "rows already present", "rows set aside")
    for heading in (*headings, "dates covered"):
        table.add_column(
            heading, justify="right" if "rows" in heading or heading == "files" else "left"
        )
    by_report: dict[str, list[FileResult]] = defaultdict(list)
    for result in results:
        if result.report and result.status in ("loaded", "present"):
            by_report[result.report].append(result)
    for report in REPORTS:
        group = by_report.get(report.key)
        if not group:
            continue
        starts = [r.min_date for r in group if r.min_date]
        ends = [r.max_date for r in group if r.max_date]
        covered = f"{min(starts)} to {max(ends)}" if starts and ends else ""
        table.add_row(
            report.key,
            str(len(group)),
            f"{sum(r.rows_new for r in group):,}",
            f"{sum(r.rows_present for r in group):,}",
            f"{sum(r.rows_set_aside for r in group):,}",
            covered,
        )
    console.print(table)
    # One line each, never wrapped: a seller may grep or paste them.
    for result in results:
        if result.status == "unknown":
            click.echo(f"skipped {result.name}: {result.message}", err=True)
    for result in results:
        if result.status == "loaded" and result.rows_set_aside:
            click.echo(f"set aside in {result.name}: {result.message}", err=True)
    for result in results:
        if result.status == "error":
            click.echo(f"error {result.name}: {result.message}", err=True)
    refused = [r for r in results if r.status == "error"]
    aside = sum(r.rows_set_aside for r in results if r.status == "loaded")
    if refused or aside:
        click.echo(
            f"not loaded: {len(refused)} files refused, {aside:,} rows set aside; "
            "the workbook's Inputs sheet lists them",
            err=True,
        )


def _as_of(ctx, param, value):
    return value.date() if value else dt.date.today()


def _windows(ctx, param, value):
    """Read and check a --windows table before any work starts."""
    if value is None:
        return None
    try:
        return read_windows(value)
    except WindowsError as error:
        raise click.BadParameter(str(error)) from None


def _keep_typed(con, workbook: Path) -> None:
    try:
        kept = keep_typed(con, workbook)
    except ClaimError as error:
        raise click.ClickException(str(error)) from None
    if kept:
        click.echo(f"recorded {kept} claims typed in {workbook} before writing it again")


@main.command(name="run")
@reports_argument
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    callback=_as_of,
    help="Audit as of this day (default today); later events are not seen.",
)
@db_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for findings.csv.",
)
@click.option(
    "--rates",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your own FBA fee card (TOML, like auditor/data/us_fba_2024-02-05.toml).",
)
@click.option(
    "--referral",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your own referral fee schedule (TOML).",
)
@click.option(
    "--windows",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=_windows,
    help="Your own claim-window table (CSV, like auditor/data/claim_windows.csv).",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(sorted(WRITERS)),
    multiple=True,
    help="Also write findings.json and/or findings.parquet (repeatable).",
)
@encoding_option
@click.option(
    "--timings",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write each stage's wall time and peak memory to this JSON file (for benchmarks).",
)
def run_command(
    reports_dir, as_of, db_path, out_dir, rates, referral, windows, formats, encoding, timings
) -> None:
    """Load what is new in REPORTS_DIR, run every rule and write findings.csv.

    \b
    Example:
        fba-audit run ~/Downloads/amazon-2026-10 --as-of 2026-11-01 --db acme.duckdb
    """
    con = open_db(db_path)
    try:
        _keep_typed(con, out_dir / "claims.xlsx")
        begin_run(con, "run")
        with stages.stage("ingest"):
            results = load_into(con, reports_dir, encoding)
        audit = run_audit(con, as_of, rates, referral, windows)
        with stages.stage("findings"):
            write_csv(audit.findings, out_dir / "findings.csv")
            for fmt in formats:
                WRITERS[fmt](audit.findings, out_dir / f"findings.{fmt}")
        with stages.stage("workbook"):
            write_workbook(con, out_dir / "claims.xlsx")
            write_evidence(con, out_dir / "evidence.csv")
        chasing = follow_ups(con, as_of)
    finally:
        con.close()
    if timings:
        stages.write(timings)
    print_audit(audit, output_console())
    for finding_id, case_id, filed_on in chasing:
        click.echo(
            f"follow up: {finding_id} (case {case_id or 'without an id'}) filed on "
            f"{filed_on} is still unpaid"
        )
    click.echo(
        f"wrote {out_dir / 'findings.csv'}, {out_dir / 'claims.xlsx'} and "
        f"{out_dir / 'evidence.csv'}"
    )
    if any(r.status == "error" for r in results):
        sys.exit(1)


def print_audit(audit: Audit, console: Console) -> None:
    table = Table(title=f"Claims as of {audit.as_of}", title_justify="left")
    for heading in ("rule", "", "claimable", "new", "units", "amount", "expiring ≤14 days"):
        table.add_column(
            heading, justify="left" if heading in ("rule", "") else "right", overflow="fold"
        )
    for outcome in audit.outcomes:
        rule = outcome.rule
        if outcome.missing:
            table.add_row(
                rule.code,
                rule.slug,
                "not run: needs " + ", ".join(outcome.missing),
                "",
                "",
                "",
                "",
            )
            continue
        claimable = [f for f in outcome.findings if f["status"] in CLAIMABLE]
        table.add_row(
            rule.code,
            rule.slug,
            str(len(claimable)),
            str(sum(1 for f in claimable if f.get("change") == "new")),
            str(sum(f["quantity"] or 0 for f in claimable)),
            _amounts(claimable),
            str(sum(1 for f in claimable if f["status"] == "expiring")),
        )
    console.print(table)
    for card, first, last in audit.applied:
        unknown = " (fees not known: not checked)" if card.data.get("fees_unknown") else ""
        click.echo(f"fee card: {card.name} ({card.source}), orders of {first} to {last}{unknown}")
    click.echo(f"referral schedule: {audit.referral_source}")
    for note in audit.notes:
        click.echo(f"note: {note}")


def _amounts(findings: list[dict]) -> str:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for f in findings:
        if f["amount"] is not None:
            totals[f["currency"] or ""] += f["amount"]
    return " + ".join(f"{v:,.2f} {k}".strip() for k, v in sorted(totals.items())) or "0.00"


@main.command(name="workbook")
@db_option
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("claims.xlsx"),
    show_default=True,
    help="The workbook to write.",
)
def workbook_command(db_path: Path, out_path: Path) -> None:
    """Write the claim workbook from the database's last run.

    \b
    Example:
        fba-audit workbook --db acme.duckdb --out claims-2026-10.xlsx
    """
    if not db_path.exists():
        raise click.ClickException(f"{db_path}: no such database; run fba-audit run first")
    con = open_db(db_path)
    try:
        _keep_typed(con, out_path)
        write_workbook(con, out_path)
    except NoRun as error:
        raise click.ClickException(f"{db_path}: {error}") from None
    finally:
        con.close()
    click.echo(f"wrote {out_path}")


@main.group(name="claims")
def claims_group() -> None:
    """Record the claims you filed, and read them back from the workbook.

    \b
    Example:
        fba-audit claims mark R02-05a499926f --filed --case-id 12345678901 --db acme.duckdb
    """


@claims_group.command(name="mark")
@click.argument("finding_id")
@click.option("--filed", "state", flag_value="filed", help="You filed a case for it.")
@click.option("--denied", "state", flag_value="denied", help="Amazon denied the case.")
@click.option("--withdrawn", "state", flag_value="withdrawn", help="You withdrew it.")
@click.option("--case-id", help="The Seller Support case id.")
@click.option(
    "--date",
    "filed_on",
    type=click.DateTime(["%Y-%m-%d"]),
    help="When you filed it (default today).",
)
@db_option
def claims_mark(finding_id, state, case_id, filed_on, db_path) -> None:
    """Mark FINDING_ID (from the Claims sheet) as filed, denied or withdrawn.

    \b
    Example:
        fba-audit claims mark R04-0e55ea8735 --filed --case-id 17712345678 --date 2026-01-20
    """
    if state is None:
        raise click.ClickException("say what happened: --filed, --denied or --withdrawn")
    day = filed_on.date() if filed_on else (dt.date.today() if state == "filed" else None)
    con = open_db(db_path)
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
    con = open_db(db_path)
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
    con = open_db(db_path)
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


@main.command(name="rates")
def rates_command() -> None:
    """List the fee cards and referral schedules built in, by marketplace and the days each
    applies to (a peak season's card holds its days). Pass your own with run --rates or
    --referral to correct or extend them."""
    for card in in_force(builtin_cards()):
        unknown = " (fees not known: not checked)" if card.data.get("fees_unknown") else ""
        click.echo(
            f"fee card  {card.marketplace}  {card.effective_from} to "
            f"{card.effective_to or 'open'}  {card.name} ({card.source}){unknown}"
        )
    for schedule in in_force(builtin_schedules()):
        click.echo(
            f"referral  {schedule.marketplace}  {schedule.effective_from} to "
            f"{schedule.effective_to or 'open'}  {schedule.source}"
        )


@main.command(name="rules")
def rules_command() -> None:
    """List the rules, in the order they run.

    \b
    Example:
        fba-audit rules
    """
    for rule in RULES:
        click.echo(f"{rule.code}  {rule.slug:40}  {rule.title}")


@main.command(name="rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print one rule's documentation.

    \b
    Example:
        fba-audit rule R04
    """
    rule = BY_CODE.get(code.upper())
    if rule is None:
        raise click.ClickException(
            f"no rule {code}; the rules are {', '.join(BY_CODE)} (see fba-audit rules)"
        )
    click.echo(rule.doc.strip())


if __name__ == "__main__":
    main()
