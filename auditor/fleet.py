"""Many sellers at once: each sub-folder of a sellers folder is one seller, audited as one task
on a Dask cluster exactly as `fba-audit run` audits it alone, into its own output folder and
its own database; then every seller's findings in one Parquet file and a one-row-per-seller
summary workbook.

A task is the `run` command itself, called in the worker's process, so a seller's files are
the same byte for byte as a run of its own. A seller that fails (bad files, a database in use)
is reported with its one-line reason; one whose worker died is tried once more, then reported;
the others go on."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

import click
import polars as pl

# A worker process audits one seller at a time, however many threads it has.
_ONE_AT_A_TIME = threading.Lock()
# Share of a worker's memory a seller's database may use; the rest is Python's (the workbook).
DATABASE_SHARE = 0.5
SUMMARY_COLUMNS = (
    "seller",
    "status",
    "reason",
    "findings",
    "claimable",
    "expiring",
    "amount",
    "rules_not_run",
    "seconds",
    "attempts",
)


@dataclass
class SellerResult:
    """One seller's audit, as the fleet summary shows it."""

    seller: str
    status: str  # "audited", "audited with errors" (some files refused), "failed"
    reason: str = ""
    findings: int = 0
    claimable: int = 0  # open or expiring
    expiring: int = 0
    amount: dict[str, str] = field(default_factory=dict)  # claimable amount per currency
    rules_not_run: list[str] = field(default_factory=list)
    seconds: float = 0.0
    attempts: int = 1


def amount_text(result: dict) -> str:
    """A seller's claimable amount, per currency: "1,234.50 USD + 20.00 GBP"."""
    return " + ".join(f"{Decimal(v):,.2f} {k}" for k, v in result["amount"].items())


def sellers(sellers_dir: Path) -> list[Path]:
    """The sellers: every sub-folder that is not hidden, by name."""
    return sorted(
        p for p in sellers_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )


def database_for(seller: Path, databases: Path | None) -> Path:
    """A seller's database: in the databases folder when given, else beside its reports."""
    if databases is not None:
        return databases / f"{seller.name}.duckdb"
    return seller / "fba-audit.duckdb"


def audit_seller(
    seller: str,
    reports_dir: str,
    as_of: str,
    out_dir: str,
    db_path: str,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> dict:
    """Audit one seller as `fba-audit run` would (this runs on a worker); its result as a dict."""
    from auditor import store
    from auditor.cli import main

    with _ONE_AT_A_TIME:  # stdout, the memory limit and the module settings are the process's
        return _audit_seller(
            seller, reports_dir, as_of, out_dir, db_path, memory_limit, threads, store, main
        )


def _audit_seller(seller, reports_dir, as_of, out_dir, db_path, memory_limit, threads, store, main):
    _die_for_tests(seller)
    if memory_limit:
        store.MEMORY_LIMIT = memory_limit
    if threads:
        store.THREADS = threads
    started = time.perf_counter()
    args = ["run", reports_dir, "--as-of", as_of, "--db", db_path, "--out", out_dir, "--quiet"]
    output = io.StringIO()
    code, reason = 0, ""
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        try:
            returned = main.main(args, prog_name="fba-audit", standalone_mode=False)
            if isinstance(returned, int) and returned:  # interrupted: click returns the code
                code, reason = returned, "interrupted"
        except click.ClickException as error:
            code, reason = 1, error.format_message()
        except click.exceptions.Exit as error:
            code, reason = error.exit_code, "interrupted" if error.exit_code else ""
        except SystemExit as error:
            code = error.code if isinstance(error.code, int) else 1
        except Exception as error:  # a seller's failure must not stop the fleet
            code, reason = 1, f"{type(error).__name__}: {str(error).splitlines()[0]}"
    result = SellerResult(seller, "audited", seconds=round(time.perf_counter() - started, 2))
    findings = Path(out_dir) / "findings.csv"
    if code and (reason or not findings.exists()):
        result.status, result.reason = "failed", reason or _first_problem(output.getvalue())
        return asdict(result)
    if code:
        result.status = "audited with errors"
        result.reason = _first_problem(output.getvalue())
    _count(result, findings)
    result.rules_not_run = _not_run(db_path)
    return asdict(result)


def _first_problem(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("error ", "Error:", "refused ")) or ": error" in line:
            return line.strip()
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "failed"


def _count(result: SellerResult, findings: Path) -> None:
    totals: dict[str, Decimal] = {}
    with open(findings, encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            result.findings += 1
            if row["status"] in ("open", "expiring"):
                result.claimable += 1
                result.expiring += row["status"] == "expiring"
                if row["amount"]:
                    totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + Decimal(
                        row["amount"]
                    )
    result.amount = {currency: str(amount) for currency, amount in sorted(totals.items())}


def _not_run(db_path: str) -> list[str]:
    """The rules the seller's last run could not run (a report was missing)."""
    import json

    import duckdb

    con = duckdb.connect(db_path, read_only=True)
    try:
        (info,) = con.execute("SELECT info FROM last_run").fetchone()
    finally:
        con.close()
    return sorted(json.loads(info).get("not_run", {}))


def _die_for_tests(seller: str) -> None:
    """FBA_AUDIT_DIE_ONCE=<seller>:<marker file> ends the worker's process the first time that
    seller is audited (the marker records it), so a test can lose a worker mid-fleet."""
    value = os.environ.get("FBA_AUDIT_DIE_ONCE", "")
    name, _, marker = value.partition(":")
    if name == seller and marker and not Path(marker).exists():
        Path(marker).write_text("died once\n")
        os._exit(1)


# -- the fleet ------------------------------------------------------------------------------


def run_fleet(
    client,
    sellers_dir: Path,
    as_of: dt.date,
    out_dir: Path,
    databases: Path | None,
    memory_limit: str | None,
    threads: int | None,
    on_done: Callable[[dict], None] = lambda result: None,
) -> list[dict]:
    """Audit every seller on the cluster behind `client`; each seller's result, by name."""
    from distributed import KilledWorker, as_completed

    out_dir.mkdir(parents=True, exist_ok=True)
    if databases is not None:
        databases.mkdir(parents=True, exist_ok=True)
    jobs = {}
    ours = {out_dir.resolve(), databases.resolve() if databases else None}
    for seller in sellers(sellers_dir):
        if seller.resolve() in ours:  # the fleet's own folders, when inside SELLERS_DIR
            continue
        jobs[seller.name] = (
            seller.name,
            str(seller.resolve()),
            as_of.isoformat(),
            str((out_dir / seller.name).resolve()),
            str(database_for(seller, databases).resolve()),
            memory_limit,
            threads,
        )
    futures = {
        client.submit(audit_seller, *job, key=f"audit-{name}-{time.time_ns()}", pure=False): name
        for name, job in jobs.items()
    }
    attempts = dict.fromkeys(jobs, 1)
    results: dict[str, dict] = {}
    pending = as_completed(list(futures))
    for future in pending:
        name = futures[future]
        try:
            result = future.result()
        except KilledWorker as error:  # the worker's process died while auditing it
            if attempts[name] == 1:
                attempts[name] += 1
                retry = client.submit(
                    audit_seller, *jobs[name], key=f"audit-{name}-{time.time_ns()}", pure=False
                )
                futures[retry] = name
                pending.add(retry)
                continue
            result = asdict(
                SellerResult(
                    name,
                    "failed",
                    f"its worker died twice ({type(error).__name__}); audit it alone with "
                    "fba-audit run to see why",
                )
            )
        except Exception as error:  # anything else the task raised: its one-line reason
            first = str(error).splitlines()[0] if str(error) else ""
            result = asdict(SellerResult(name, "failed", f"{type(error).__name__}: {first}"))
        result["attempts"] = attempts[name]
        results[name] = result
        on_done(result)
    ordered = [results[name] for name in sorted(results)]
    write_fleet_findings(ordered, out_dir)
    write_fleet_summary(ordered, out_dir, as_of)
    return ordered


def write_fleet_findings(results: list[dict], out_dir: Path) -> Path:
    """Every finding of every audited seller, with a seller column, in one Parquet file."""
    frames = []
    for result in results:
        findings = out_dir / result["seller"] / "findings.csv"
        if result["status"] != "failed" and findings.exists():
            frame = pl.read_csv(findings, infer_schema=False)
            frames.append(frame.select(pl.lit(result["seller"]).alias("seller"), pl.all()))
    table = pl.concat(frames, how="diagonal") if frames else pl.DataFrame({"seller": []})
    for column in ("quantity", "evidence_rows"):
        if column in table.columns:
            table = table.with_columns(pl.col(column).cast(pl.Int64, strict=False))
    if "amount" in table.columns:
        table = table.with_columns(pl.col("amount").cast(pl.Decimal(18, 2), strict=False))
    for column in ("event_date", "eligible_from", "claim_deadline"):
        if column in table.columns:
            table = table.with_columns(pl.col(column).str.to_date(strict=False))
    path = out_dir / "fleet_findings.parquet"
    table.write_parquet(path)
    return path


def write_fleet_summary(results: list[dict], out_dir: Path, as_of: dt.date) -> Path:
    """fleet.xlsx: one row per seller, failures first; reports' text is written as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from auditor.workbook.cells import print_wide

    book = Workbook()
    sheet = book.active
    sheet.title = "Sellers"
    headings = (
        "Seller",
        "Status",
        "Reason",
        "Findings",
        "Claimable now",
        "Expiring ≤14 days",
        "Claimable amount",
        "Rules not run",
        "Seconds",
        "Attempts",
    )
    sheet.append([f"Fleet audit as of {as_of}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(headings)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    order = sorted(results, key=lambda r: (r["status"] != "failed", r["seller"]))
    for r in order:
        amount = amount_text(r)
        audited = r["status"] != "failed"  # a failed seller's counts are not known: blank
        row = [
            r["seller"],
            r["status"],
            r["reason"],
            r["findings"] if audited else None,
            r["claimable"] if audited else None,
            r["expiring"] if audited else None,
            amount,
            ", ".join(r["rules_not_run"]),
            r["seconds"],
            r["attempts"],
        ]
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column == 3)
        sheet.cell(sheet.max_row, 9).number_format = "0.0"
        # A reason wraps in its column (60 characters wide): the row is as tall as its lines.
        sheet.row_dimensions[sheet.max_row].height = 15 * max(1, -(-len(r["reason"]) // 58))
    for index, width in enumerate((22, 20, 60, 10, 14, 16, 22, 22, 10, 10), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    print_wide(sheet)
    sheet.print_title_rows = "2:2"
    sheet.auto_filter.ref = f"A2:J{max(sheet.max_row, 2)}"
    path = out_dir / "fleet.xlsx"
    book.save(path)
    return path
