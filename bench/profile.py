"""Time every SQL statement of a fresh run: `python -m bench.profile REPORTS DATABASE AS_OF`.

Prints a Markdown table of the statements that took longest (summed over files), with the
stage each belongs to; used by `python -m bench` for BENCHMARKS.md.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from auditor import ingest, store
from auditor.audit import run_audit
from auditor.workbook import write_workbook


class Timed:
    """A DuckDB connection that adds up the time of each statement, by its first words."""

    def __init__(self, con, stage: list[str]) -> None:
        self._con, self._stage, self.seconds = con, stage, Counter()

    def _timed(self, method, sql, *args):
        start = time.perf_counter()
        result = getattr(self._con, method)(sql, *args)
        key = (self._stage[0], " ".join(sql.split())[:80].replace("|", "\\|"))
        self.seconds[key] += time.perf_counter() - start
        return result

    def execute(self, sql, *args):
        return self._timed("execute", sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def main(reports: Path, database: Path, as_of: dt.date) -> None:
    stage = ["ingest"]
    con = Timed(store.connect(database), stage)
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


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]))
