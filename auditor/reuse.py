"""A run with nothing new keeps the last run's files.

When the files loaded, the as-of day, the claims recorded, the seller's own fee cards and
windows, and the auditor's own code are all what they were at the last run into the same
folder, and that run's files there are untouched, the audit would be written again byte for
byte: the run says so and keeps them instead of running the rules and writing the workbook."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import duckdb

SCHEMA = """CREATE TABLE IF NOT EXISTS last_outputs (
    out_dir VARCHAR PRIMARY KEY, fingerprint VARCHAR, files JSON, summary VARCHAR)"""
# The run that wrote them: a run into another folder since makes this folder's files old.
RUN_COLUMN = "ALTER TABLE last_outputs ADD COLUMN IF NOT EXISTS run_id INTEGER"


def _schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA)
    con.execute(RUN_COLUMN)


def _last_run(con: duckdb.DuckDBPyConnection) -> int | None:
    return con.execute("SELECT max(run_id) FROM runs").fetchone()[0]


@cache
def code_digest() -> str:
    """The auditor's code and built-in data, so that a changed rule never reuses old files."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for root in (here, here.parent / "rules"):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".csv", ".toml", ".sql") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(con: duckdb.DuckDBPyConnection, as_of, options: dict[str, object]) -> str:
    """What the audit's files are a function of."""
    (files,) = con.execute("SELECT string_agg(sha256, ',' ORDER BY sha256) FROM files").fetchone()
    # The files the load refused are listed in the workbook.
    (refused,) = con.execute(
        "SELECT string_agg(name || ':' || coalesce(message, ''), '|' ORDER BY name) "
        "FROM refused_files"
    ).fetchone()
    claims = None
    if con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'claims' AND NOT temporary"
    ).fetchone()[0]:
        (claims,) = con.execute(
            "SELECT md5(string_agg(c::VARCHAR, '|' ORDER BY finding_id)) FROM claims c"
        ).fetchone()
    given = {
        name: hashlib.sha256(Path(value).read_bytes()).hexdigest()
        if isinstance(value, Path)
        else value
        for name, value in options.items()
    }
    text = json.dumps(
        [files, refused, claims, str(as_of), code_digest(), given],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _stat(out_dir: Path, names: list[str]) -> dict[str, list[int]]:
    found = {}
    for name in names:
        path = out_dir / name
        if path.is_file():
            stat = path.stat()
            found[name] = [stat.st_size, stat.st_mtime_ns]
    return found


def case_files(out_dir: Path) -> list[str]:
    cases = out_dir / "cases"
    return sorted(f"cases/{p.name}" for p in cases.iterdir()) if cases.is_dir() else []


def unchanged(con: duckdb.DuckDBPyConnection, out_dir: Path, print_: str) -> str | None:
    """The last run's summary when its files in `out_dir` can be kept as they are."""
    _schema(con)
    row = con.execute(
        "SELECT fingerprint, files, summary, run_id FROM last_outputs WHERE out_dir = ?",
        [str(out_dir.resolve())],
    ).fetchone()
    if row is None or row[0] != print_:
        return None
    if row[3] is not None and row[3] != _last_run(con):  # (none: recorded before runs were)
        return None
    kept = json.loads(row[1])
    if not kept or _stat(out_dir, list(kept)) != kept:
        return None
    return row[2]


def untouched(con: duckdb.DuckDBPyConnection, out_dir: Path, name: str) -> bool:
    """Whether the file `name` in `out_dir` is as the last run wrote it (nothing typed in it)."""
    _schema(con)
    row = con.execute(
        "SELECT files FROM last_outputs WHERE out_dir = ?", [str(out_dir.resolve())]
    ).fetchone()
    kept = json.loads(row[0]).get(name) if row else None
    return kept is not None and _stat(out_dir, [name]).get(name) == kept


def remember(
    con: duckdb.DuckDBPyConnection, out_dir: Path, print_: str, written: list[str], summary: str
) -> None:
    """Record the files a run wrote into `out_dir`, what it printed and which run it was."""
    _schema(con)
    con.execute(
        "INSERT OR REPLACE INTO last_outputs (out_dir, fingerprint, files, summary, run_id) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            str(out_dir.resolve()),
            print_,
            json.dumps(_stat(out_dir, written)),
            summary,
            _last_run(con),
        ],
    )
