"""`fba-audit ingest`: load reports into the database, and the table of what was loaded."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from auditor.cli.app import (
    db_option,
    encoding_option,
    main,
    open_db,
    output_console,
    quiet_option,
    reports_argument,
)
from auditor.ingest import FileResult, ingest
from auditor.reports import REPORTS
from auditor.store import (
    begin_run,
    end_run,
)


@main.command(name="ingest")
@reports_argument
@db_option
@encoding_option
@quiet_option
def ingest_command(reports_dir: Path, db_path: Path, encoding: str | None, quiet: bool) -> None:
    """Load every Seller Central report in REPORTS_DIR into the database.

    The report type is read from each file's header, whatever the file is called; folders are
    walked and .zip/.gz downloads unpacked. Loading the same file again adds nothing.

    \b
    Example:
        fba-audit ingest ~/Downloads/amazon-2026-10 --db acme.duckdb
    """
    results = load_reports(reports_dir, db_path, encoding, quiet)
    if any(r.status == "error" for r in results):
        sys.exit(1)


def load_reports(
    reports_dir: Path, db_path: Path, encoding: str | None, quiet: bool = False
) -> list[FileResult]:
    con = open_db(db_path)
    try:
        begin_run(con, "ingest")
        results = load_into(con, reports_dir, encoding, quiet)
        end_run(con)
        return results
    finally:
        con.close()


def load_into(
    con, reports_dir: Path, encoding: str | None, quiet: bool = False
) -> list[FileResult]:
    """Load REPORTS_DIR with a progress bar naming the file loading; refuse a folder with no
    report in it, listing what it holds."""
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
        disable=quiet or not console.is_terminal,
    ) as bar:
        task = bar.add_task("", total=total or 1)
        started, rows = time.perf_counter(), [0]

        def advance(name: str, size: int, read: int) -> None:
            rows[0] += read
            rate = rows[0] / max(time.perf_counter() - started, 1e-3)
            bar.update(task, advance=size, description=f"{name}  ({rate:,.0f} rows/s)")

        results = ingest(con, reports_dir, progress=advance, encoding=encoding)
    if not any(r.report for r in results):
        seen = ", ".join(r.name for r in results[:8]) + (" …" if len(results) > 8 else "")
        raise click.ClickException(
            f"{reports_dir}: no Seller Central report in it (found: {seen or 'nothing'}); "
            "download the reports into it, or pass the folder that holds them"
        )
    print_summary(results, output_console())
    return results


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
