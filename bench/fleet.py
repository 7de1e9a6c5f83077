"""The fleet against a loop: N generated sellers (the sample seller, each with its own seed)
audited one `fba-audit run` after another, then by `fba-audit fleet` on a local cluster."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import openpyxl

from bench import generated

AS_OF = "2026-01-15"


def _sellers(work: Path, count: int) -> Path:
    def make(root: Path) -> None:
        for seed in range(1, count + 1):
            subprocess.run(
                [sys.executable, "-m", "auditor.samples", "--out", str(root / f"seller-{seed:02d}")]
                + ["--seed", str(seed)],
                check=True,
                stdout=subprocess.DEVNULL,
            )

    root = work / f"fleet-{count}"
    generated(root, make)
    return root


def measure_fleet(work: Path, count: int, workers: int) -> dict:
    sellers = _sellers(work, count)
    loop_dir, fleet_dir = work / "fleet-loop", work / "fleet-out"
    for stale in (loop_dir, fleet_dir):
        shutil.rmtree(stale, ignore_errors=True)
    exe = str(Path(sys.executable).with_name("fba-audit"))

    click.echo(f"fleet: {count} sellers one after another", err=True)
    each = []
    start = time.perf_counter()
    for seller in sorted(p for p in sellers.iterdir() if p.is_dir()):
        began = time.perf_counter()
        subprocess.run(
            [exe, "run", str(seller), "--as-of", AS_OF, "--quiet"]
            + ["--db", str(loop_dir / "db" / f"{seller.name}.duckdb")]
            + ["--out", str(loop_dir / seller.name)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        each.append(time.perf_counter() - began)
    loop = time.perf_counter() - start

    click.echo(f"fleet: {count} sellers on {workers} workers", err=True)
    start = time.perf_counter()
    subprocess.run(
        [exe, "fleet", str(sellers), "--as-of", AS_OF, "--out", str(fleet_dir), "--quiet"]
        + ["--workers", str(workers), "--databases", str(fleet_dir / "db")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    fleet = time.perf_counter() - start
    summary = openpyxl.load_workbook(fleet_dir / "fleet.xlsx")["Sellers"]
    rows = list(summary.iter_rows(values_only=True))
    task_seconds = sum(row[8] for row in rows[2:])
    same = all(
        (loop_dir / name / "findings.csv").read_bytes()
        == (fleet_dir / name / "findings.csv").read_bytes()
        for name in (row[0] for row in rows[2:])
    )
    return {
        "sellers": count,
        "workers": workers,
        "loop": loop,
        "loop_each": sum(each) / len(each),
        "fleet": fleet,
        "task_seconds": task_seconds,
        "same_findings": same,
    }


def render_fleet(result: dict) -> list[str]:
    n, w = result["sellers"], result["workers"]
    ideal = result["loop"] / w
    overhead = (result["fleet"] * w - result["task_seconds"]) / n
    return [
        "## Fleet",
        "",
        f"{n} generated sellers (the sample seller, each with its own seed: about 5,500 ledger "
        "rows and 23,000 settlement lines each), audited as of "
        f"{AS_OF} one `fba-audit run` after another, then by `fba-audit fleet --workers {w}` on "
        "a local Dask cluster started by the command itself; fresh databases each time.",
        "",
        "| | seconds | per seller |",
        "|---|---:|---:|",
        f"| sequential loop of `fba-audit run` | {result['loop']:.1f} | "
        f"{result['loop_each']:.2f} |",
        f"| `fba-audit fleet`, {w} workers | {result['fleet']:.1f} | {result['fleet'] / n:.2f} |",
        f"| the loop spread evenly over {w} workers, no overhead | {ideal:.1f} | {ideal / n:.2f} |",
        "",
        f"- Speed-up of the fleet over the loop: **{result['loop'] / result['fleet']:.2f}×** on "
        f"{w} workers.",
        f"- Sum of the sellers' audits inside the workers: {result['task_seconds']:.1f} s "
        f"({result['task_seconds'] / n:.2f} s a seller, against {result['loop_each']:.2f} s for "
        "a run of its own, which also starts Python and imports the auditor).",
        f"- Cluster overhead per seller (starting the cluster, scheduling, collecting results, "
        f"the fleet's own files), (fleet time × workers − time in audits) / sellers: "
        f"**{overhead:.2f} s**.",
        f"- Every seller's findings.csv the same byte for byte in both: "
        f"{'yes' if result['same_findings'] else '**no**'}.",
        "",
    ]
