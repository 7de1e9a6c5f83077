"""The `fba-audit` command group, its shared options and the database it opens. The commands
live beside it: loading (ingest), running (run, workbook), claims (claims, history) and reference
(rates, rules, rule)."""

from __future__ import annotations

import codecs
import sys
from contextlib import contextmanager
from pathlib import Path

import click
import duckdb
from rich.console import Console

from auditor.store import (
    DEFAULT_DB,
    MEMORY_LIMIT,
    DatabaseUnusable,
    connect,
    recover,
)

CONTEXT = {"help_option_names": ["-h", "--help"]}

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="The seller's database file (run and ingest create it when missing).",
)
out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write the audit's files into: claims.xlsx, evidence.csv, cases/ (and, from "
    "run, findings.csv).",
)
reports_argument = click.argument(
    "reports_dir", type=click.Path(exists=True, path_type=Path), metavar="REPORTS_DIR"
)


def _encoding(ctx, param, value):
    """An encoding Python knows, checked before any work starts."""
    if value is None:
        return None
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise click.BadParameter(
            f"unknown encoding {value!r}; use one such as utf-8, cp1252, cp932 or latin-1"
        ) from None


encoding_option = click.option(
    "--encoding",
    default=None,
    callback=_encoding,
    help="Read every file in this encoding (e.g. cp1252, cp932) instead of detecting it.",
)
# The databases this process opened, so that an interrupted command can undo its part at once.
OPENED: list[Path] = []


class Commands(click.Group):
    """Commands whose database runs out of memory, or that are interrupted (Ctrl-C), end with
    one line saying what happened and what to do."""

    def invoke(self, ctx):
        OPENED.clear()  # those of this command only
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, duckdb.InterruptException, RuntimeError) as error:
            if isinstance(error, RuntimeError) and "interrupted" not in str(error).lower():
                raise
            click.echo(f"interrupted; {_undo_interrupted(ctx.invoked_subcommand)}", err=True)
            raise click.exceptions.Exit(130) from None
        except duckdb.OutOfMemoryException as error:
            # A workbook left half-written is closed as the process ends; what its writer
            # says then is noise after the one line below.
            sys.unraisablehook = lambda unraisable: None
            raise click.ClickException(
                f"out of memory: {str(error).splitlines()[0]} The database may use "
                f"{MEMORY_LIMIT} and spills the rest to disk beside it; free disk space there, "
                "or set FBA_AUDIT_MEMORY_LIMIT higher (e.g. 4GiB) and run again: "
                "nothing is lost, the run starts over from what was loaded."
            ) from None


@click.group(context_settings=CONTEXT, cls=Commands, invoke_without_command=True)
@click.version_option(package_name="fba-auditor")
@click.pass_context
def main(ctx) -> None:
    """fba-audit: find the money Amazon owes an FBA seller.

    \b
    Example:
        fba-audit run sample_reports --as-of 2026-01-15 --db sample.duckdb --out sample-audit
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


quiet_option = click.option(
    "--quiet", is_flag=True, help="No progress display (it is off anyway when not a terminal)."
)


@contextmanager
def doing(what: str, quiet: bool = False):
    """A line on the terminal saying what is being done while it is done (yields a function
    that changes it); nothing when quiet or not a terminal."""
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield lambda text: None
        return
    with console.status(what) as status:
        yield lambda text: status.update(text)


def _undo_interrupted(command: str | None) -> str:
    """Undo at once what the interrupted command had loaded; say what became of it."""
    saved = False
    for path in OPENED:
        try:
            con = connect(path)
        except DatabaseUnusable:
            return f"what it had loaded is undone the next time {path} is opened"
        try:
            unfinished = con.execute("SELECT count(*) FROM run_journal").fetchone()[0]
            recover(con)
            saved = saved or not unfinished
        finally:
            con.close()
    if saved and command in ("run", "workbook"):  # interrupted while writing the audit's files
        return (
            "the audit was saved; write its files again with fba-audit workbook (and --out the "
            "same folder)"
        )
    return "nothing was changed"


def open_db(db_path: Path, existing: bool = False):
    """Open the seller's database, undoing first what an interrupted run left half-loaded.
    `existing`: the command only reads or adds to an audit, so a missing file is an error, never
    a new database."""
    if existing and not Path(db_path).exists():
        raise click.ClickException(
            f"{db_path}: no such database; run fba-audit run first, or pass --db the seller's "
            "database"
        )
    try:
        con = connect(db_path)
    except DatabaseUnusable as error:
        raise click.ClickException(str(error)) from None
    OPENED.append(Path(db_path))
    undone = recover(con)
    if undone:
        click.echo(
            f"an interrupted run was undone: {undone} files it had loaded were unloaded", err=True
        )
    return con


def output_console() -> Console:
    """Where tables go: the terminal's width, or 120 columns into a file or pipe, so that a
    logged run keeps each row on one line."""
    console = Console()
    return console if console.is_terminal else Console(width=120)
