"""`fba-audit run` and `fba-audit workbook`: audit, write findings, workbook and evidence, and
print the claims table."""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from auditor import reuse, stages
from auditor.audit import Audit, run_audit
from auditor.claims import ClaimError, follow_ups, keep_typed
from auditor.cli.app import (
    db_option,
    doing,
    encoding_option,
    main,
    open_db,
    out_option,
    output_console,
    quiet_option,
)
from auditor.cli.fetching import fetch_into, fetch_options, incomplete
from auditor.cli.loading import load_into
from auditor.fees import FeeDataError, check_rate_card, check_referral_schedule
from auditor.findings import CLAIMABLE, WRITERS, write_csv, write_evidence
from auditor.policy import WindowsError, read_windows
from auditor.store import (
    begin_run,
    end_run,
)
from auditor.workbook import NoRun, write_workbook


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


def _checked(path, check):
    """A --rates or --referral file, read and checked before any work starts."""
    if path is None:
        return None
    try:
        check(path)
    except FeeDataError as error:
        raise click.BadParameter(str(error)) from None
    return path


def _keep_typed(con, workbook: Path) -> None:
    try:
        kept = keep_typed(con, workbook)
    except ClaimError as error:
        raise click.ClickException(str(error)) from None
    if kept:
        click.echo(f"recorded {kept} claims typed in {workbook} before writing it again")


@main.command(name="run")
@click.argument("reports_dir", type=click.Path(path_type=Path), metavar="REPORTS_DIR")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    callback=_as_of,
    help="Audit as of this day (default today); later events are not seen.",
)
@db_option
@out_option
@click.option(
    "--rates",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=lambda ctx, param, value: _checked(value, check_rate_card),
    help="Your own FBA fee card (TOML, like auditor/data/us_fba_2024-02-05.toml).",
)
@click.option(
    "--referral",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=lambda ctx, param, value: _checked(value, check_referral_schedule),
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
@quiet_option
@click.option(
    "--fetch",
    "fetch",
    is_flag=True,
    help="First fetch what is new from your Amazon account into REPORTS_DIR (see fba-audit "
    "fetch), up to the --as-of day.",
)
@fetch_options
@click.option(
    "--timings",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write each stage's wall time and peak memory to this JSON file (for benchmarks).",
)
def run_command(
    reports_dir,
    as_of,
    db_path,
    out_dir,
    rates,
    referral,
    windows,
    formats,
    encoding,
    timings,
    quiet,
    fetch,
    since,
    marketplace,
    credentials,
    wait_minutes,
) -> None:
    """Load what is new in REPORTS_DIR, run every rule, and write into the --out folder:
    findings.csv (one row per claim), claims.xlsx (the workbook to file and track claims
    from), evidence.csv (where every evidence row is) and cases/ (one evidence file per claim
    to file). What you typed in an earlier claims.xlsx there is kept.

    \b
    Example:
        fba-audit run ~/Downloads/amazon-2026-10 --as-of 2026-11-01 --db acme.duckdb \\
            --out audit-2026-11
        fba-audit run ~/amazon-reports --fetch --db acme.duckdb --out audit-2026-11
    """
    if fetch:
        outcome = fetch_into(
            reports_dir, as_of, since, marketplace, credentials, wait_minutes, quiet
        )
        if not outcome.complete:
            raise click.ClickException(
                f"fetch incomplete: {incomplete(outcome)}; not audited, so that no report is "
                "silently missing: run again later, or without --fetch to audit what "
                f"{reports_dir} holds"
            )
    elif not reports_dir.exists():
        raise click.BadParameter(
            f"Path '{reports_dir}' does not exist.", param_hint="'REPORTS_DIR'"
        )
    con = open_db(db_path)
    try:
        if not reuse.untouched(con, out_dir, "claims.xlsx"):  # else nothing was typed in it
            _keep_typed(con, out_dir / "claims.xlsx")
        begin_run(con, "run")
        with stages.stage("ingest"):
            results = load_into(con, reports_dir, encoding, quiet)
        options = {"rates": rates, "referral": referral, "windows": windows}
        options["formats"] = sorted(formats)
        fingerprint = reuse.fingerprint(con, as_of, options)
        kept = reuse.unchanged(con, out_dir, fingerprint)
        if kept is not None:
            end_run(con)
        else:
            with doing("running the rules", quiet) as say:
                audit = run_audit(
                    con, as_of, rates, referral, windows, lambda code: say(f"running rule {code}")
                )
            with stages.stage("findings"), doing("writing findings.csv", quiet):
                write_csv(audit.findings, out_dir / "findings.csv")
                for fmt in formats:
                    WRITERS[fmt](audit.findings, out_dir / f"findings.{fmt}")
            with stages.stage("workbook"), doing("writing claims.xlsx", quiet) as say:
                write_workbook(
                    con,
                    out_dir / "claims.xlsx",
                    progress=lambda part: say(f"writing claims.xlsx: {part}"),
                )
                say("writing evidence.csv")
                write_evidence(con, out_dir / "evidence.csv")
            chasing = follow_ups(con, as_of)
            (newest,) = con.execute("SELECT max(max_date) FROM files").fetchone()
            summary = _summary(audit, chasing, newest)
            written = ["findings.csv", *(f"findings.{fmt}" for fmt in formats)]
            written += ["claims.xlsx", "evidence.csv", *reuse.case_files(out_dir)]
            reuse.remember(con, out_dir, fingerprint, written, summary)
    finally:
        con.close()
    if timings:
        stages.write(timings)
    if kept is not None:
        click.echo(
            f"nothing new since the last run into {out_dir} (the same reports, as-of day and "
            "claims): its files are kept as they are"
        )
        click.echo(kept.replace(SUMMARY_END, ""), nl=False)
    else:
        print_audit(audit, output_console())
        click.echo(summary.split(SUMMARY_END, 1)[1], nl=False)
        click.echo(
            f"wrote {out_dir / 'findings.csv'}, {out_dir / 'claims.xlsx'}, "
            f"{out_dir / 'evidence.csv'} and {out_dir / 'cases'}"
        )
    if any(r.status == "error" for r in results):
        sys.exit(1)


# Where the table of a run's summary ends and its lines (fee cards, notes, follow-ups) begin.
SUMMARY_END = "\x1f"


def _summary(audit: Audit, chasing: list, newest: dt.date | None) -> str:
    """What a run prints after loading, as text: the table (120 columns wide), then its lines;
    kept so that a run with nothing new can print it again."""
    console = Console(width=120, record=True, file=io.StringIO())
    print_audit(audit, console)
    lines = [*_lines(audit)]
    for finding_id, case_id, filed_on in chasing:
        lines.append(
            f"follow up: {finding_id} (case {case_id or 'without an id'}) filed on "
            f"{filed_on} is still unpaid"
        )
    lines += _all_expired(audit, newest)
    return console.export_text() + SUMMARY_END + "".join(f"{line}\n" for line in lines)


def _all_expired(audit: Audit, newest: dt.date | None) -> list[str]:
    """Say so when every finding is past its deadline: the reports are likely old, and the
    audit's day (today, by default) is far past them."""
    findings = audit.findings
    if findings and all(f["status"] == "expired" for f in findings):
        then = f"--as-of {newest + dt.timedelta(days=1)}" if newest else "--as-of that day"
        runs_to = f" (the newest report runs to {newest})" if newest else ""
        return [
            f"every finding is past its claim deadline as of {audit.as_of}{runs_to}: to see what "
            f"was claimable when the reports were downloaded, run again with {then}"
        ]
    return []


def _lines(audit: Audit) -> list[str]:
    """The fee cards and referral schedule applied, and the run's notes."""
    lines = []
    for card, first, last in audit.applied:
        unknown = " (fees not known: not checked)" if card.data.get("fees_unknown") else ""
        lines.append(f"fee card: {card.name} ({card.source}), orders of {first} to {last}{unknown}")
    lines.append(f"referral schedule: {audit.referral_source}")
    lines += [f"note: {note}" for note in audit.notes]
    return lines


def print_audit(audit: Audit, console: Console) -> None:
    """The table of claims by rule."""
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


def _amounts(findings: list[dict]) -> str:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for f in findings:
        if f["amount"] is not None:
            totals[f["currency"] or ""] += f["amount"]
    return " + ".join(f"{v:,.2f} {k}".strip() for k, v in sorted(totals.items())) or "0.00"


@main.command(name="workbook")
@db_option
@out_option
def workbook_command(db_path: Path, out_dir: Path) -> None:
    """Write claims.xlsx, evidence.csv and cases/ again from the database's last run, into the
    --out folder (what you typed in a claims.xlsx there is kept).

    \b
    Example:
        fba-audit workbook --db acme.duckdb --out audit-2026-10
    """
    con = open_db(db_path, existing=True)
    try:
        _keep_typed(con, out_dir / "claims.xlsx")
        write_workbook(con, out_dir / "claims.xlsx")
        write_evidence(con, out_dir / "evidence.csv")
    except NoRun as error:
        raise click.ClickException(f"{db_path}: {error}") from None
    finally:
        con.close()
    click.echo(
        f"wrote {out_dir / 'claims.xlsx'}, {out_dir / 'evidence.csv'} and {out_dir / 'cases'}"
    )
