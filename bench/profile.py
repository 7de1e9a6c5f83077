"""Time every SQL statement of a fresh run: `python -m bench.profile REPORTS DATABASE AS_OF`.

Prints a Markdown table of the statements that took longest (summed over files), with the
stage each belongs to, and a table of each stage's peak memory split into DuckDB's own (what
`duckdb_memory()` says it holds, within its limit) and the rest of the process; used by
`python -m bench` for BENCHMARKS.md.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from auditor import ingest, store
from auditor.audit import run_audit
from auditor.stages import rss_bytes
from auditor.workbook import write_workbook
from bench import mib


class Timed:
    """A DuckDB connection that adds up the time of each statement, by its first words."""

    def __init__(self, con, stage: list[str]) -> None:
        self._con, self._stage, self.seconds = con, stage, Counter()
        # held around a CHECKPOINT, which another connection's open query would refuse
        self.quiet = threading.Lock()

    def _timed(self, method, sql, *args):
        start = time.perf_counter()
        if sql.lstrip().upper().startswith("CHECKPOINT"):
            with self.quiet:
                result = getattr(self._con, method)(sql, *args)
        else:
            result = getattr(self._con, method)(sql, *args)
        key = (self._stage[0], " ".join(sql.split())[:80].replace("|", "\\|"))
        self.seconds[key] += time.perf_counter() - start
        return result

    def execute(self, sql, *args):
        return self._timed("execute", sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


class Memory:
    """Samples, every 50 ms, the process's resident memory and what DuckDB says it holds; keeps,
    per stage, both at the moment the process's was highest."""

    def __init__(self, con: Timed, stage: list[str], baseline: int) -> None:
        self.con, self.stage, self.peaks, self.baseline = con, stage, {}, baseline
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        cursor = self.con.cursor()
        while not self._done.wait(0.05):
            with self.con.quiet:
                rows = cursor.execute(
                    "SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory()"
                ).fetchall()
            rss = rss_bytes()
            if rss > self.peaks.get(self.stage[0], (0,))[0]:
                self.peaks[self.stage[0]] = (
                    rss,
                    sum(r[1] for r in rows),
                    sum(r[2] for r in rows),
                    sorted(rows, key=lambda r: -r[1])[:2],
                )
        cursor.close()


def main(reports: Path, database: Path, as_of: dt.date) -> None:
    stage, baseline = ["ingest"], rss_bytes()
    con = Timed(store.connect(database), stage)
    with Memory(con, stage, baseline) as memory:
        seconds = _run(con, stage, reports, as_of)
    _print(con, seconds, memory)


def _run(con: Timed, stage: list[str], reports: Path, as_of: dt.date) -> Counter:
    total = Counter()
    start = time.perf_counter()
    ingest.ingest(con, reports)
    total["ingest"] = time.perf_counter() - start
    stage[0] = "rules + findings"
    start = time.perf_counter()
    run_audit(con, as_of)
    total["rules + findings"] = time.perf_counter() - start
    stage[0] = "workbook"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        write_workbook(con, Path(out) / "claims.xlsx")
    total["workbook"] = time.perf_counter() - start
    return total


def _print(con: Timed, total: Counter, memory: Memory) -> None:
    print("| stage | stage seconds | statement | seconds |")
    print("|---|---:|---|---:|")
    for (name, sql), seconds in con.seconds.most_common(15):
        print(f"| {name} | {total[name]:.1f} | `{sql}` | {seconds:.2f} |")
    sql_total = Counter()
    for (name, _), seconds in con.seconds.items():
        sql_total[name] += seconds
    print()
    for name, seconds in total.items():
        print(
            f"- {name}: {seconds:.1f} s, of which SQL {sql_total[name]:.1f} s and Python "
            f"{seconds - sql_total[name]:.1f} s"
        )
    print()
    print(
        f"Memory at each stage's peak (the process held {mib(memory.baseline)} before the "
        "database was opened: Python and its imports):"
    )
    print()
    print("| stage | process | DuckDB's own | the rest | DuckDB's largest holdings | spilled |")
    print("|---|---:|---:|---:|---|---:|")
    for name, (rss, duck, spilled, top) in memory.peaks.items():
        held = ", ".join(f"{tag.lower()} {mib(n)}" for tag, n, _ in top)
        print(
            f"| {name} | {mib(rss)} | {mib(duck)} | {mib(rss - duck)} | {held} | {mib(spilled)} |"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]))
