"""The floor: DuckDB's own read_csv of the same files into tables, with no further work.

    python -m bench.floor REPORTS_DIR DATABASE [typed]

Each report file becomes one table of text columns, read with the file's delimiter, quoting and
header line (DuckDB's type detection cannot read Amazon's dates, so text is the honest floor),
under the memory limit the auditor uses. With `typed`, each file is read instead by the loader's
own reader, typing the columns it types as it reads (numbers, and dates in the file's one
exact format), and nothing more: no row numbers, checks, event identity or second write; the
loader's look at each file's head to choose those types is not timed. Prints a JSON line:
seconds, rows, files.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from auditor.ingest.reading import drop_scratch, plan, rows_sql
from auditor.sniff import SAMPLE_BYTES, NotAReport, sniff
from auditor.store import MEMORY_LIMIT


def main(reports: Path, database: Path, typed: bool = False) -> dict:
    con = duckdb.connect(str(database))
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    files = []
    for path in sorted(p for p in reports.rglob("*") if p.is_file()):
        with open(path, "rb") as f:
            head = f.read(SAMPLE_BYTES)
        try:
            files.append((path, sniff(head, path.name)))
        except NotAReport:
            continue
    seconds, rows = 0.0, 0
    for number, (path, sniffed) in enumerate(files):
        if typed:
            _, typing = plan(con, sniffed, path)
            drop_scratch(con)
            start = time.perf_counter()
            con.execute(
                f"CREATE TABLE t{number} AS SELECT * FROM {rows_sql(sniffed, typing)}",
                [str(path)],
            )
            seconds += time.perf_counter() - start
            rows += con.execute(f"SELECT count(*) FROM t{number}").fetchone()[0]
            continue
        start = time.perf_counter()
        quote = "'\"'" if sniffed.quoted else "''"
        delimiter = "'\\t'" if sniffed.delimiter == "\t" else "','"
        con.execute(
            f"""CREATE TABLE t{number} AS SELECT * FROM read_csv(?, delim = {delimiter},
                quote = {quote}, escape = {quote}, skip = {sniffed.header_line - 1},
                header = true, all_varchar = true)""",
            [str(path)],
        )
        seconds += time.perf_counter() - start
        rows += con.execute(f"SELECT count(*) FROM t{number}").fetchone()[0]
    con.close()
    return {"seconds": round(seconds, 3), "rows": rows, "files": len(files)}


if __name__ == "__main__":
    typed = sys.argv[3:] == ["typed"]
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]), typed)))
