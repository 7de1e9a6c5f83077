"""`fba-audit fetch`: the reports straight from the seller's Amazon account, and the options
`run --fetch` shares with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from auditor.cli.app import CONTEXT, main, quiet_option
from auditor.fetch import MARKETPLACES, Amazon, FetchError, Outcome, fetch_reports
from auditor.fetch.credentials import load_credentials
from auditor.fetch.run import DEFAULT_WAIT_MINUTES


def _day(ctx, param, value):
    return value.date() if value else None


def fetch_options(function):
    """--since, --marketplace, --credentials and --wait, for fetch and run --fetch."""
    for option in reversed(
        (
            click.option(
                "--since",
                type=click.DateTime(["%Y-%m-%d"]),
                callback=_day,
                help="Fetch from this day (default: where the last fetch into the folder "
                "started, or 18 months back).",
            ),
            click.option(
                "--marketplace",
                type=click.Choice(MARKETPLACES, case_sensitive=False),
                default="US",
                show_default=True,
                callback=lambda ctx, param, value: value.upper(),
                help="The marketplace whose reports to fetch.",
            ),
            click.option(
                "--credentials",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Your SP-API credentials file (default: $FBA_AUDIT_CREDENTIALS, or "
                "~/.config/fba-auditor/credentials.toml); the environment variables "
                "LWA_APP_ID, LWA_CLIENT_SECRET and SP_API_REFRESH_TOKEN override it.",
            ),
            click.option(
                "--wait",
                "wait_minutes",
                type=click.FloatRange(min=0),
                default=DEFAULT_WAIT_MINUTES,
                show_default=True,
                help="Minutes to wait for Amazon's report queue; what is not ready by then is "
                "collected by the next fetch.",
            ),
        )
    ):
        function = option(function)
    return function


def fetch_into(
    reports_dir: Path,
    until: dt.date,
    since: dt.date | None,
    marketplace: str,
    credentials: Path | None,
    wait_minutes: float,
    quiet: bool,
) -> Outcome:
    """Run one fetch for a command, printing a line per report; FetchError becomes a one-line
    ClickException."""
    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))
    try:
        amazon = Amazon(
            load_credentials(credentials, reports_dir),
            marketplace,
            on_wait=lambda operation, seconds: say(
                f"Amazon throttled {operation}: waiting {seconds:.0f} s as its rate limit says"
            ),
        )
        outcome = fetch_reports(
            amazon,
            reports_dir,
            marketplace,
            until,
            since=since,
            say=say,
            wait_minutes=wait_minutes,
        )
    except FetchError as error:
        raise click.ClickException(str(error)) from None
    for note in outcome.notes:
        say(f"note: {note}")
    fetched = (
        f"fetched {len(outcome.files)} files ({outcome.bytes / 1e6:,.1f} MB) into {reports_dir}"
        if outcome.files
        else f"nothing new to fetch into {reports_dir}"
    )
    click.echo(fetched, err=True)
    return outcome


def incomplete(outcome: Outcome) -> str:
    parts = []
    if outcome.failed:
        parts.append(f"{len(outcome.failed)} failed ({outcome.failed[0]})")
    if outcome.waiting:
        parts.append(f"{len(outcome.waiting)} still in Amazon's queue")
    return "; ".join(parts)


@main.command(name="fetch", context_settings=CONTEXT)
@click.argument("reports_dir", type=click.Path(file_okay=False, path_type=Path))
@fetch_options
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    callback=_day,
    help="Fetch up to this day (default today).",
)
@quiet_option
def fetch_command(reports_dir, since, marketplace, credentials, wait_minutes, until, quiet):
    """Download from your Amazon account, through the Selling Partner API, every report the
    audit reads into REPORTS_DIR: inventory ledger, reimbursements, customer returns, fee
    preview, all orders, removal order detail, inventory adjustments (where Amazon still offers
    them), the settlement reports Amazon generated, and inbound shipments with their items.
    One file per report and date range; a second fetch downloads only what is new.

    \b
    Example:
        fba-audit fetch ~/amazon-reports --since 2025-06-01 --marketplace US
    """
    outcome = fetch_into(
        reports_dir, until or dt.date.today(), since, marketplace, credentials, wait_minutes, quiet
    )
    if not outcome.complete:
        raise click.ClickException(
            f"fetch incomplete: {incomplete(outcome)}; run fetch again later, it asks only for "
            "what is missing"
        )
