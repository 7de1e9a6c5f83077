"""The floor: DuckDB's own read_csv of the same files into tables, with no further work.

    python -m bench.floor REPORTS_DIR DATABASE

Each report file becomes one table of text columns, read with the file's delimiter, quoting and
header line (DuckDB's type detection cannot read Amazon's dates, so text is the honest floor),
under the memory limit the auditor uses. Prints a JSON line: seconds, rows, files.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from auditor.sniff import SAMPLE_BYTES, NotAReport, sniff
from auditor.store import MEMORY_LIMIT


def main(reports: Path, database: Path) -> dict:
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
    start = time.perf_counter()
    rows = 0
    for number, (path, sniffed) in enumerate(files):
        quote = "'\"'" if sniffed.quoted else "''"
        delimiter = "'\\t'" if sniffed.delimiter == "\t" else "','"
        con.execute(
            f"""CREATE TABLE t{number} AS SELECT * FROM read_csv(?, delim = {delimiter},
                quote = {quote}, escape = {quote}, skip = {sniffed.header_line - 1},
                header = true, all_varchar = true)""",
            [str(path)],
        )
        rows += con.execute(f"SELECT count(*) FROM t{number}").fetchone()[0]
    seconds = time.perf_counter() - start
    con.close()
    return {"seconds": round(seconds, 3), "rows": rows, "files": len(files)}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
