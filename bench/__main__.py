"""Benchmark `fba-audit run` at several seller sizes and write BENCHMARKS.md.

    python -m bench [--scales 1,10,100] [--shape-scale 10] [--fleet 20] [--work .bench]
                    [--out BENCHMARKS.md]

Scale 1 is the sample seller written enough times over (`python -m auditor.samples --copies`)
to hold 100,000 ledger rows; scale 100 holds ten million, with the settlement, Date Range,
orders and returns rows that go with them. For each scale, in fresh processes:

1. the floor: DuckDB's own read_csv of the same files into tables (bench/floor.py), and the
   typed floor: the loader's own reader typing what it can as it reads, and nothing more;
2. a first `fba-audit run` into an empty database, with each stage's wall time and peak memory
   (`--timings`) and the process's peak resident memory;
3. a second run with nothing new to load;
4. a check of the answer: the run must find the sample's findings exactly `copies` times over.

The largest scale is then audited once more with DuckDB's memory limit raised (its files
already loaded), to show what the limit costs the rules, findings and workbook.

The --shape-scale seller is then measured again with its dated reports cut into monthly files
(bench/shapes.py), and --fleet sellers are audited by `fba-audit fleet` against a loop of runs.

Generated sellers are kept under --work and reused.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import platform
import selectors
import subprocess
import sys
import time
import zipfile
from collections import Counter
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import click

from auditor.store import MEMORY_LIMIT
from auditor.workbook import EVIDENCE_ROWS
from bench import generated, mib
from bench.fleet import measure_fleet, render_fleet
from bench.shapes import monthly
from bench.writers import measure_writers, render_writers

ROOT = Path(__file__).resolve().parent.parent
UNIT_LEDGER_ROWS = 100_000
AS_OF = "2026-01-15"
STAGES = ("ingest", "rules", "findings", "workbook")
GIB = 1 << 30
# DuckDB's memory limit for the largest scale's second audit, with memory to spare.
ROOMY_LIMIT = "8GiB"


def _measured(args: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command (with `env` added to this process's environment); return its wall time,
    its own peak resident memory (from wait4, not the largest of all children so far) and its
    standard output."""
    start = time.perf_counter()
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}
    )
    out, err = b"", b""
    # Read both pipes to the end without waiting on the process (wait4 must reap it).
    sel = selectors.DefaultSelector()
    sel.register(process.stdout, selectors.EVENT_READ, "out")
    sel.register(process.stderr, selectors.EVENT_READ, "err")
    while sel.get_map():
        for key, _ in sel.select():
            chunk = os.read(key.fileobj.fileno(), 1 << 16)
            if not chunk:
                sel.unregister(key.fileobj)
            elif key.data == "out":
                out += chunk
            else:
                err += chunk
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise click.ClickException(
            f"{' '.join(map(str, args[:4]))} exited {process.returncode}: "
            f"{err.decode(errors='replace').strip()[-500:]}"
        )
    return seconds, usage.ru_maxrss * 1024, out.decode()


def _base_ledger_rows() -> int:
    return sum(
        sum(1 for _ in open(p, encoding="utf-8")) - 1
        for p in (ROOT / "sample_reports" / "ledger").glob("*.txt")
    )


def _seller(work: Path, copies: int) -> tuple[Path, float | None]:
    folder = work / f"seller-x{copies}"
    start = time.perf_counter()
    made = generated(
        folder,
        lambda out: subprocess.run(
            [sys.executable, "-m", "auditor.samples", "--out", str(out), "--copies", str(copies)],
            check=True,
            stdout=subprocess.DEVNULL,
        ),
    )
    return folder, (time.perf_counter() - start if made else None)


def _cells(workbook: Path) -> int:
    """The cells written in a workbook: its sheets' `<c ` elements, counted in the zip."""
    with zipfile.ZipFile(workbook) as z:
        return sum(
            z.read(n).count(b"<c ") for n in z.namelist() if n.startswith("xl/worksheets/sheet")
        )


def _findings_total(path: Path) -> tuple[Counter, Decimal]:
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return Counter(r["rule"] for r in rows), sum(
        (Decimal(r["amount"] or 0) for r in rows), Decimal(0)
    )


def _input_rows(db: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows = dict(con.execute("SELECT report, sum(rows_read) FROM files GROUP BY report").fetchall())
    con.close()
    return {k: int(v) for k, v in rows.items()}


def _audit(
    seller: Path, db: Path, out: Path, timings: Path, env: dict[str, str] | None = None
) -> dict:
    """One `fba-audit run --timings` in a fresh process: its wall time, peak and stages."""
    wall, peak, _ = _measured(
        [
            sys.executable,
            "-c",
            "from auditor.cli import main; main()",
            "run",
            str(seller),
            "--as-of",
            AS_OF,
            "--db",
            str(db),
            "--out",
            str(out),
            "--timings",
            str(timings),
        ],
        env=env,
    )
    return {"wall": wall, "peak": peak, **json.loads(timings.read_text())}


def measure(work: Path, scale: int, unit: int, shape: str = "") -> dict:
    """Measure a scale's seller; with `shape` "monthly", the same seller in monthly files."""
    copies = scale * unit
    seller, generated = _seller(work, copies)
    if shape == "monthly":
        seller = monthly(seller, work)
    size = sum(p.stat().st_size for p in seller.rglob("*") if p.is_file())
    name = f"x{copies}{'-' + shape if shape else ''}"
    db = work / f"{name}.duckdb"
    out = work / f"out-{name}"
    for stale in (db, Path(str(db) + ".wal"), work / "floor.duckdb"):
        stale.unlink(missing_ok=True)

    click.echo(f"scale {scale}: floor", err=True)
    floor_wall, floor_peak, floor_out = _measured(
        [sys.executable, "-m", "bench.floor", str(seller), str(work / "floor.duckdb")]
    )
    floor = json.loads(floor_out)
    (work / "floor.duckdb").unlink(missing_ok=True)
    click.echo(f"scale {scale}: typed floor", err=True)
    typed_wall, typed_peak, typed_out = _measured(
        [sys.executable, "-m", "bench.floor", str(seller), str(work / "floor.duckdb"), "typed"]
    )
    typed = json.loads(typed_out)
    (work / "floor.duckdb").unlink(missing_ok=True)

    runs = []
    for attempt in ("first", "again"):
        click.echo(f"scale {scale}: {attempt} run", err=True)
        runs.append(_audit(seller, db, out, work / f"timings-{name}-{attempt}.json"))

    found, amount = _findings_total(out / "findings.csv")
    base, base_amount = _findings_total(ROOT / "sample_reports" / "expected_findings.csv")
    expected = Counter({rule: n * copies for rule, n in base.items()})
    return {
        "scale": scale,
        "shape": shape,
        "copies": copies,
        "bytes": size,
        "generated_seconds": generated,
        "rows": _input_rows(db),
        "floor": {**floor, "wall": floor_wall, "peak": floor_peak},
        "typed_floor": {**typed, "wall": typed_wall, "peak": typed_peak},
        "first": runs[0],
        "again": runs[1],
        "out": str(out),
        "cells": _cells(out / "claims.xlsx"),
        "findings": sum(found.values()),
        "amount": str(amount),
        "answer_ok": found == expected and amount == base_amount * copies,
        "expected_findings": sum(expected.values()),
    }


def _machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("duckdb", "polars", "openpyxl", "click")
    )
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; memory {memory:.0f} GiB",
        f"- {platform.system()} {platform.release()}; Python {platform.python_version()}",
        f"- {versions}",
    ]


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds else "—"


def render(
    results: list[dict],
    profile: str,
    measured: dt.date,
    fleet: dict | None = None,
    shape: dict | None = None,
    writers: dict | None = None,
    roomy: dict | None = None,
) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (bench/__main__.py); do not edit by hand. "
        f"Measured {measured.isoformat()}.",
        "",
        "## Machine",
        "",
        *_machine(),
        "",
        "## What is measured",
        "",
        f"Scale 1 is the sample seller written {results[0]['copies'] // results[0]['scale']:,} "
        f"times over (`python -m auditor.samples --copies N`), so that it holds about "
        f"{UNIT_LEDGER_ROWS:,} ledger rows; every copy is its own product line with the same "
        "history, so each scale must find the sample's findings exactly `copies` times over "
        "(checked below). Each measurement is a fresh process: `fba-audit run --as-of "
        f"{AS_OF}` into an empty database, with `--timings` for each stage's wall time and "
        "peak resident memory, and the process's peak from the kernel. The floor is DuckDB's "
        "own `read_csv` of the same files into tables of text columns (bench/floor.py), under "
        "the same memory limit. Rows per second are input rows (every report row loaded) "
        "divided by the stage's time.",
        "",
    ]
    for r in results:
        first, again, floor = r["first"], r["again"], r["floor"]
        total_rows = sum(r["rows"].values())
        stages = first["stages"]
        lines += [
            f"## Scale {r['scale']} ({r['copies']:,} copies)",
            "",
            f"Input: {r['bytes'] / 1e9:.2f} GB in {floor['files']} files, "
            f"{total_rows:,} rows: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(r["rows"].items(), key=lambda i: -i[1])),
            "",
            "| stage | seconds | rows per second | peak memory |",
            "|---|---:|---:|---:|",
        ]
        for name in STAGES:
            s = stages.get(name, {"seconds": 0, "peak_rss_bytes": 0})
            lines.append(
                f"| {name} | {s['seconds']:.1f} | {_rate(total_rows, s['seconds'])} | "
                f"{mib(s['peak_rss_bytes'])} |"
            )
        ingest = stages["ingest"]["seconds"]
        lines += [
            f"| **whole run** | **{first['wall']:.1f}** | {_rate(total_rows, first['wall'])} | "
            f"**{mib(first['peak'])}** |",
            f"| floor: DuckDB read_csv | {floor['seconds']:.1f} | "
            f"{_rate(total_rows, floor['seconds'])} | {mib(floor['peak'])} |",
            *(
                [
                    f"| typed floor: the loader's reader alone | "
                    f"{r['typed_floor']['seconds']:.1f} | "
                    f"{_rate(total_rows, r['typed_floor']['seconds'])} | "
                    f"{mib(r['typed_floor']['peak'])} |"
                ]
                if "typed_floor" in r
                else []
            ),
            f"| run again, nothing new | {again['wall']:.1f} | — | {mib(again['peak'])} |",
            "",
            f"- Ingest / floor: **{ingest / floor['seconds']:.2f}×**",
            f"- Run again: ingest stage {again['stages']['ingest']['seconds']:.1f} s "
            f"= {100 * again['stages']['ingest']['seconds'] / ingest:.1f}% of the first ingest; "
            f"whole second run {again['wall']:.1f} s",
            f"- Answer: {r['findings']:,} findings, {r['amount']} in all — "
            + (
                f"exactly {r['copies']:,} × the sample's, as expected"
                if r["answer_ok"]
                else f"**wrong**: expected {r['expected_findings']:,} findings"
            ),
            "",
        ]
    lines += _targets(results, writers, roomy)
    if shape:
        large = next((r for r in results if r["scale"] == shape["scale"]), None)
        if large:
            lines += _render_shape(large, shape)
    if fleet:
        lines += render_fleet(fleet)
    if profile:
        lines += ["## Profile of the slowest stage", "", profile, ""]
    return "\n".join(lines) + "\n"


def _same_findings(a: dict, b: dict) -> bool:
    def rows(r: dict) -> list[str]:
        with open(r["out"] + "/findings.csv", encoding="utf-8") as f:
            return sorted(f)

    return rows(a) == rows(b)


def _render_shape(large: dict, small: dict) -> list[str]:
    """The same rows in few large files against many small ones."""

    def line(label: str, r: dict) -> str:
        ingest = r["first"]["stages"]["ingest"]["seconds"]
        floor = r["floor"]["seconds"]
        return (
            f"| {label} | {r['floor']['files']} | {floor:.1f} | {ingest:.1f} | "
            f"{r['first']['wall']:.1f} | {ingest / floor:.2f}× | {r['first']['wall'] / floor:.2f}× "
            f"| {mib(r['first']['peak'])} |"
        )

    extra_files = small["floor"]["files"] - large["floor"]["files"]
    extra = (
        small["first"]["stages"]["ingest"]["seconds"]
        - large["first"]["stages"]["ingest"]["seconds"]
    )
    return [
        f"## Few large files against many small ones (scale {large['scale']})",
        "",
        "The same rows in two shapes: as generated, each report in a few large files (the "
        "ledger in two overlapping downloads, the orders in one, 26 settlements), and as a "
        "seller who downloads every month holds them, each dated report (ledger, orders, "
        "returns, reimbursements, adjustments, removals) cut into one file per calendar month "
        "of each download (bench/shapes.py). Settlements are one file each in both.",
        "",
        "| shape | files | floor s | ingest s | run s | ingest / floor | run / floor | peak |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        line("few large files", large),
        line("monthly files", small),
        "",
        f"- Cost of a file beyond its rows: {extra:+.1f} s of ingest for {extra_files:+d} files "
        f"({extra / extra_files if extra_files else 0:+.2f} s a file).",
        "- Findings the same in both shapes: "
        + ("yes" if _same_findings(large, small) and small["answer_ok"] else "**no**"),
        "",
    ]


def _targets(
    results: list[dict], writers: dict | None = None, roomy: dict | None = None
) -> list[str]:
    """The targets, each a ratio taken within one scale's own measurements."""
    per_row = {r["scale"]: r["first"]["wall"] / sum(r["rows"].values()) * 1e6 for r in results}

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    def worst(values: dict[int, float], unit: str = "×") -> str:
        return ", ".join(f"scale {s}: {v:.2f}{unit}" for s, v in values.items())

    whole = {r["scale"]: r["first"]["wall"] / r["floor"]["seconds"] for r in results}
    ingest = {
        r["scale"]: r["first"]["stages"]["ingest"]["seconds"] / r["floor"]["seconds"]
        for r in results
    }
    after = {
        r["scale"]: 100
        * sum(r["first"]["stages"].get(n, {}).get("seconds", 0) for n in STAGES[1:])
        / r["first"]["wall"]
        for r in results
    }
    again = {r["scale"]: 100 * r["again"]["wall"] / r["first"]["wall"] for r in results}
    peak = {r["scale"]: max(r["first"]["peak"], r["again"]["peak"]) / GIB for r in results}
    scales = sorted(per_row)

    def stage_cost(r: dict, name: str) -> float:
        seconds = r["first"]["stages"].get(name, {}).get("seconds", 0)
        return seconds / sum(r["rows"].values()) * 1e6

    by_scale = {r["scale"]: r for r in results}
    # every stage, and the whole run, no dearer per row at the largest scale (5% for noise)
    grew = [
        name
        for name in STAGES
        if len(scales) >= 2
        and stage_cost(by_scale[scales[-1]], name) > stage_cost(by_scale[scales[-2]], name) * 1.05
    ]
    linear = len(scales) < 2 or per_row[scales[-1]] <= per_row[scales[-2]] * 1.05
    return [
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| first run ≤ 1.5× the floor at every scale | {worst(whole)} | "
        f"{mark(max(whole.values()) <= 1.5)} |",
        f"| ingest ≤ 1.2× the floor | {worst(ingest)} | {mark(max(ingest.values()) <= 1.2)} |",
        f"| rules + findings + workbook ≤ 15% of the run | {worst(after, '%')} | "
        f"{mark(max(after.values()) <= 15)} |",
        "| per-row cost of the run and of every stage at the largest scale no worse than at the "
        "one before | "
        + ", ".join(f"scale {s}: {per_row[s]:.1f} µs/row" for s in scales)
        + (f"; dearer per row: {', '.join(grew)}" if grew else "")
        + f" | {mark(linear and not grew)} |",
        f"| a run with nothing new ≤ 10% of the first run | {worst(again, '%')} | "
        f"{mark(max(again.values()) <= 10)} |",
        f"| peak memory ≤ 1 GiB at every scale | {worst(peak, ' GiB')} | "
        f"{mark(max(peak.values()) <= 1)} |",
        "",
        *_limits(results, per_row, writers, roomy),
    ]


def measure_roomy(work: Path, result: dict) -> dict:
    """Audit a measured scale's database again with memory to spare (ROOMY_LIMIT for DuckDB),
    into another folder so that nothing is reused: its files are already loaded, so this
    measures what the memory limit costs the stages after ingest."""
    seller, _ = _seller(work, result["copies"])
    name = f"x{result['copies']}"
    run = _audit(
        seller,
        work / f"{name}.duckdb",
        work / f"out-{name}-roomy",
        work / f"timings-{name}-roomy.json",
        env={"FBA_AUDIT_MEMORY_LIMIT": ROOMY_LIMIT},
    )
    return {"scale": result["scale"], "limit": ROOMY_LIMIT, **run}


def _limits(
    results: list[dict],
    per_row: dict[int, float],
    writers: dict | None = None,
    roomy: dict | None = None,
) -> list[str]:
    """What bounds each target, in the measured figures."""
    largest = results[-1]
    first, floor = largest["first"], largest["floor"]
    stages = first["stages"]
    rows = sum(largest["rows"].values())
    lines = ["## What limits it", ""]
    lines.append(
        f"- **Whole run against the floor** ({first['wall']:.0f} s against "
        f"{floor['seconds']:.0f} s at scale {largest['scale']}). The floor only reads the "
        "files; the run also loads them (below), runs fourteen rules over every order, "
        "posting and unit movement, and writes the workbook a seller files from. Its stages: "
        + ", ".join(f"{name} {stages[name]['seconds']:.0f} s" for name in STAGES if name in stages)
        + "."
    )
    ingest = stages["ingest"]["seconds"]
    lines.append(
        f"- **Ingest against the floor** ({ingest:.0f} s against {floor['seconds']:.0f} s). "
        "The floor stops once the text is in a table. Ingest also types every value "
        "(dates in the file's own format, amounts to exact decimals), checks each row "
        "(column count, values that do not read, negative counts, future dates), gives each "
        "row its event identity so an overlapping download adds nothing twice, compares "
        "against what is already loaded, and writes typed, compressed columns inside one "
        "transaction per file, so a bad file leaves nothing behind. The profile below shows "
        "where that time goes: the reader typing and checking each file into its stage "
        "(`CREATE TEMP TABLE _stage … read_csv`), the insert into the report's table "
        "(`INSERT INTO raw_…`) and the one checkpoint that writes it all to the database file."
        + _typed_floor_line(largest)
    )
    scales = sorted(per_row)
    if len(scales) >= 2:
        before, last = (next(r for r in results if r["scale"] == s) for s in scales[-2:])

        def stage_cost(r: dict, name: str) -> float:
            seconds = r["first"]["stages"].get(name, {}).get("seconds", 0)
            return seconds / sum(r["rows"].values()) * 1e6

        growth = sorted(
            ((stage_cost(last, n) - stage_cost(before, n), n) for n in STAGES), reverse=True
        )
        lines.append(
            f"- **Cost per row** from scale {before['scale']} to {last['scale']}: "
            + ", ".join(
                f"{n} {stage_cost(before, n):.2f} → {stage_cost(last, n):.2f} µs" for n in STAGES
            )
            + f" (whole run {per_row[scales[-2]]:.1f} → {per_row[scales[-1]]:.1f} µs). "
            + (
                f"The stage that grew most is {growth[0][1]}."
                if growth[0][0] > 0
                else "No stage grew."
            )
            + (_roomy_line(roomy, last, before, stage_cost) if roomy else "")
        )
    if "workbook" in stages:
        seconds = stages["workbook"]["seconds"]
        cells = largest.get("cells")
        lines.append(
            "- **Rules, findings and workbook** ("
            + " + ".join(f"{n} {stages[n]['seconds']:.1f} s" for n in STAGES[1:] if n in stages)
            + f" at scale {largest['scale']}). The rules join every order line, posting and "
            "unit movement against the fee cards, claim windows and reimbursements; the "
            "profile below names their slowest statements. The workbook lists each of "
            f"{largest['findings']:,} findings on its rule's sheet with its first "
            f"{EVIDENCE_ROWS} evidence rows, every column of each, and every claim with its "
            "case text"
            + (
                f": {cells:,} cells, {seconds / cells * 1e6:.1f} µs a cell with the case files "
                "and evidence.csv"
                if cells
                else ""
            )
            + ". openpyxl turns each cell into XML in Python, the Python share of the "
            "workbook stage in the profile below."
            + (f" Measured side by side: {render_writers(writers)}." if writers else "")
        )
    again = largest["again"]
    lines.append(
        f"- **A run with nothing new** ({again['wall']:.1f} s at scale {largest['scale']}): "
        "Python starts and imports DuckDB and polars, the database is opened, every file is "
        "listed and its size and modification time compared with the last run's, and the "
        "last run's files are found as it left them; nothing is hashed, audited or written."
    )
    peaks = ", ".join(
        f"scale {r['scale']}: "
        + ", ".join(
            f"{n} {mib(r['first']['stages'][n]['peak_rss_bytes'])}"
            for n in STAGES
            if n in r["first"]["stages"]
        )
        for r in results
    )
    lines.append(
        f"- **Memory.** DuckDB works within its limit ({MEMORY_LIMIT}) and spills to disk beside "
        "the database; the process's peak is that plus the Python process (its imports, the "
        "fee cards, the workbook's rows in flight, never a whole sheet) and what DuckDB "
        "allocates outside its limit. Each stage's peak: "
        + peaks
        + f". Largest peak: {mib(max(r['first']['peak'] for r in results))} for {rows:,} "
        "input rows. The profiled run below splits each stage's peak into what DuckDB says it "
        "holds (`duckdb_memory()`, within its limit) and the rest of the process: Python and "
        "its imports, and memory taken for DuckDB's work that the process keeps once DuckDB "
        "has let it go or that DuckDB does not count against its limit; that rest grows with "
        "the data, and it is what takes the largest scale past 1 GiB. A lower "
        "`FBA_AUDIT_MEMORY_LIMIT` lowers the peak at the cost of spilling more."
    )
    return lines + [""]


def _typed_floor_line(largest: dict) -> str:
    """What the loader's own reader costs alone, against the floor and the ingest stage."""
    typed = largest.get("typed_floor")
    if not typed:
        return ""
    floor = largest["floor"]["seconds"]
    ingest = largest["first"]["stages"]["ingest"]["seconds"]
    return (
        f" The loader's reader alone, typing what it can as it reads into a table and nothing "
        f"more (the typed floor, bench/floor.py), takes {typed['seconds']:.0f} s, "
        f"{typed['seconds'] / floor:.2f}× the floor"
        + (": typing as it reads is not what costs. " if typed["seconds"] <= floor * 1.1 else ". ")
        + f"The other {ingest - typed['seconds']:.0f} s of ingest are the rest: each "
        "file read into a stage table first (numbered, its dates in other formats parsed in "
        "SQL, checked, given its event identity), compared with what is loaded, then written "
        "again into the report's table, one transaction a file."
    )


def _roomy_line(roomy: dict, last: dict, before: dict, stage_cost) -> str:
    """What the stages after ingest cost per row at the largest scale with memory to spare,
    against the same stages at the memory limit and at the scale before."""
    rows = sum(last["rows"].values())
    after = [n for n in STAGES[1:] if n in roomy["stages"]]
    roomy_cost = {n: roomy["stages"][n]["seconds"] / rows * 1e6 for n in after}
    # the stages dearer per row than at the scale before (5% for noise), and which of them are
    # not with memory to spare
    grew = [n for n in after if stage_cost(last, n) > stage_cost(before, n) * 1.05]
    spilled = [n for n in grew if roomy_cost[n] <= stage_cost(before, n) * 1.05]
    said = (
        f" Audited again with DuckDB's limit at {roomy['limit']} (the files already loaded), "
        f"scale {last['scale']} costs "
        + ", ".join(
            f"{n} {roomy_cost[n]:.2f} µs a row (at {MEMORY_LIMIT}: {stage_cost(last, n):.2f}; "
            f"at scale {before['scale']}: {stage_cost(before, n):.2f})"
            for n in after
        )
        + f", with a peak of {mib(roomy['peak'])}."
    )
    if spilled:
        said += (
            f" So what makes {', '.join(spilled)} dearer per row at {MEMORY_LIMIT} is what "
            "DuckDB spills to disk to stay within its limit (the aggregates over every order "
            "line and posting no longer fit in it): the price of the memory target below."
        )
    return said


def profile_ingest_and_rules(work: Path, scale: int, unit: int) -> str:
    """Time every SQL statement of a fresh run at `scale` (in this process), to show where the
    slowest stages spend their time."""
    seller, _ = _seller(work, scale * unit)
    db = work / "profile.duckdb"
    db.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "bench.profile", str(seller), str(db), AS_OF],
        capture_output=True,
        text=True,
    )
    db.unlink(missing_ok=True)
    if done.returncode != 0:  # said in the document, not lost with the measurements before it
        said = [line for line in done.stderr.splitlines() if "Error" in line or "Exception" in line]
        return f"Scale {scale}: the profiled run failed: {(said or ['no message'])[-1].strip()}"
    out = done.stdout
    return f"Scale {scale}, every SQL statement of a fresh run, slowest first:\n\n" + out


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--scales", default="1,10,100", show_default=True, help="Comma-separated scales.")
@click.option(
    "--work",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT / ".bench",
    show_default=True,
    help="Folder for the generated sellers and databases (kept for the next run).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=ROOT / "BENCHMARKS.md",
    show_default=True,
)
@click.option(
    "--profile-scale",
    type=int,
    default=10,
    show_default=True,
    help="Scale at which to profile every SQL statement (0: none).",
)
@click.option(
    "--fleet",
    "fleet_sellers",
    type=int,
    default=20,
    show_default=True,
    help="Sellers to audit with fba-audit fleet against a loop of runs (0: none).",
)
@click.option(
    "--shape-scale",
    type=int,
    default=10,
    show_default=True,
    help="Scale whose seller is measured again in monthly files (0: none; run with --scales).",
)
@click.option(
    "--fleet-workers", type=int, default=2, show_default=True, help="Workers of the fleet."
)
@click.option(
    "--render-only",
    is_flag=True,
    help="Rewrite the document from the last measurements kept in --work, measuring nothing.",
)
def main(
    scales: str,
    work: Path,
    out: Path,
    profile_scale: int,
    fleet_sellers: int,
    fleet_workers: int,
    shape_scale: int,
    render_only: bool,
) -> None:
    """Generate sellers at each scale, measure `fba-audit run` and write BENCHMARKS.md."""
    if render_only:
        kept = work / "results.json"
        if not kept.exists():
            raise click.ClickException(f"{kept}: no measurements yet; run python -m bench first")
        profile, fleet, shape, writers, roomy = (
            work / n
            for n in ("profile.md", "fleet.json", "shape.json", "writers.json", "roomy.json")
        )
        out.write_text(
            render(
                json.loads(kept.read_text()),
                profile.read_text() if profile.exists() else "",
                dt.date.fromtimestamp(kept.stat().st_mtime),
                json.loads(fleet.read_text()) if fleet.exists() else None,
                json.loads(shape.read_text()) if shape.exists() else None,
                json.loads(writers.read_text()) if writers.exists() else None,
                json.loads(roomy.read_text()) if roomy.exists() else None,
            )
        )
        click.echo(f"wrote {out}")
        return
    work.mkdir(parents=True, exist_ok=True)
    unit = math.ceil(UNIT_LEDGER_ROWS / _base_ledger_rows())
    results = []
    for scale in sorted(int(s) for s in scales.split(",")):
        results.append(measure(work, scale, unit))
        (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
        click.echo(
            f"scale {scale}: run {results[-1]['first']['wall']:.1f} s, "
            f"floor {results[-1]['floor']['seconds']:.1f} s",
            err=True,
        )
    roomy = measure_roomy(work, results[-1]) if len(results) >= 2 else None
    (work / "roomy.json").write_text(json.dumps(roomy))
    shape = None
    if shape_scale and shape_scale in {r["scale"] for r in results}:
        shape = measure(work, shape_scale, unit, "monthly")
        click.echo(
            f"scale {shape_scale} in monthly files: run {shape['first']['wall']:.1f} s", err=True
        )
    (work / "shape.json").write_text(json.dumps(shape, default=str))
    profile = profile_ingest_and_rules(work, profile_scale, unit) if profile_scale else ""
    (work / "profile.md").write_text(profile)
    fleet = measure_fleet(work, fleet_sellers, fleet_workers) if fleet_sellers else None
    (work / "fleet.json").write_text(json.dumps(fleet))
    writers = measure_writers()
    (work / "writers.json").write_text(json.dumps(writers))
    out.write_text(render(results, profile, dt.date.today(), fleet, shape, writers, roomy))
    click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()
