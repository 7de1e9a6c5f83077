"""`fba-audit fleet`: every seller of a sellers folder, on a Dask cluster."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from auditor.cli.app import CONTEXT, main, quiet_option
from auditor.fleet import DATABASE_SHARE, amount_text, run_fleet, sellers

# Memory left to the operating system and the scheduler on a machine running a local cluster.
LOCAL_MEMORY_SHARE = 0.8


def _machine_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _gib(size: float) -> str:
    return f"{max(size, 256 << 20) / (1 << 30):.2f}GiB"


@main.command(name="fleet", context_settings=CONTEXT)
@click.argument(
    "sellers_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="SELLERS_DIR",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    callback=lambda ctx, param, value: value.date() if value else dt.date.today(),
    help="Audit as of this day (default today).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the fleet's files: one sub-folder per seller (its findings.csv, "
    "claims.xlsx, evidence.csv, cases/), fleet_findings.parquet and fleet.xlsx.",
)
@click.option(
    "--databases",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep each seller's database here as <seller>.duckdb (default: fba-audit.duckdb in "
    "the seller's own folder).",
)
@click.option(
    "--scheduler",
    help="Address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786) whose workers have "
    "fba-auditor installed and see the same paths; without it a local cluster is started.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes of the local cluster (default: one per core, at most one per seller).",
)
@quiet_option
def fleet_command(sellers_dir, as_of, out_dir, databases, scheduler, workers, quiet):
    """Audit every seller in SELLERS_DIR (each sub-folder is one seller's reports) on a Dask
    cluster, each exactly as fba-audit run audits it alone, and write a summary of all of
    them. A seller that fails is listed with its reason; the others complete.

    \b
    Example:
        fba-audit fleet ~/clients --as-of 2026-11-01 --out audits-2026-11 --workers 4
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise click.ClickException(
            "fleet runs on Dask, which is not installed: pip install 'fba-auditor[fleet]'"
        ) from None

    found = sellers(sellers_dir)
    if not found:
        raise click.ClickException(
            f"{sellers_dir}: no seller folders in it; put each seller's reports in a "
            "sub-folder of its own"
        )
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise click.ClickException(
                f"cannot reach the Dask scheduler at {scheduler} ({error}); start it with "
                "dask scheduler, or leave out --scheduler for a local cluster"
            ) from None
        cluster = None
    else:
        count = workers or min(os.cpu_count() or 1, len(found))
        per_worker = _machine_memory() * LOCAL_MEMORY_SHARE / count
        import dask

        # A seller whose worker dies is tried once more by the fleet itself, not by Dask; a
        # worker holds only the seller it is auditing, so a death costs no other seller.
        dask.config.set(
            {
                "distributed.scheduler.allowed-failures": 0,
                "distributed.scheduler.worker-saturation": 1.0,
            }
        )
        cluster = LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            memory_limit=int(per_worker),
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    try:
        workers_info = client.scheduler_info()["workers"].values()
        limits = [w["memory_limit"] for w in workers_info]
        threads = [w["nthreads"] for w in workers_info]
        memory_limit = _gib(min(limits) * DATABASE_SHARE) if limits and min(limits) else None
        console = Console(stderr=True)
        with Progress(
            TextColumn("auditing sellers"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            disable=quiet or not console.is_terminal,
        ) as progress:
            task = progress.add_task("", total=len(found))

            def done(result):
                progress.update(task, advance=1, description=result["seller"])

            results = run_fleet(
                client,
                sellers_dir,
                as_of,
                out_dir,
                databases,
                memory_limit,
                min(threads) if threads else None,
                done,
            )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    for r in results:
        amount = amount_text(r) or "0.00"
        if r["status"] == "failed":
            click.echo(f"{r['seller']}: failed: {r['reason']}")
        else:
            extra = f" ({r['reason']})" if r["reason"] else ""
            click.echo(f"{r['seller']}: {r['status']}{extra}: {r['claimable']} claimable, {amount}")
    failed = sum(1 for r in results if r["status"] == "failed")
    click.echo(
        f"wrote {out_dir / 'fleet.xlsx'} and {out_dir / 'fleet_findings.parquet'}: "
        f"{len(results) - failed} of {len(results)} sellers audited"
    )
    if failed:
        raise SystemExit(1)
