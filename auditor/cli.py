"""The `fba-audit` command. A thin layer: the work lives in importable functions."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from auditor.ingest import FileResult, ingest
from auditor.reports import REPORTS
from auditor.store import DEFAULT_DB, DatabaseInUse, connect

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


@click.group(context_settings=CONTEXT)
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


def load_reports(reports_dir: Path, db_path: Path, encoding: str | None) -> list[FileResult]:
    console = Console(stderr=True)
    try:
        con = connect(db_path)
    except DatabaseInUse as error:
        raise click.ClickException(str(error)) from None
    try:
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
    finally:
        con.close()
    print_summary(results, Console())
    return results


def _files(root: Path) -> list[Path]:
    return [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]


def print_summary(results: list[FileResult], console: Console) -> None:
    table = Table(title="Reports loaded", title_justify="left")
    for heading in ("report", "files", "rows loaded", "rows already present", "dates covered"):
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
            covered,
        )
    console.print(table)
    # One line each, never wrapped: a seller may grep or paste them.
    for result in results:
        if result.status == "unknown":
            click.echo(f"skipped {result.name}: {result.message}", err=True)
    for result in results:
        if result.status == "error":
            click.echo(f"error {result.name}: {result.message}", err=True)


if __name__ == "__main__":
    main()
