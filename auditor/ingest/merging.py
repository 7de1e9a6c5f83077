"""Merging `_stage` into its report's table: only rows not loaded before go in, so the same file
twice, or two overlapping downloads, never count anything twice."""

from __future__ import annotations

import duckdb

from auditor.ingest.errors import LoadError
from auditor.ingest.staging import SETTLEMENT_TOTALS_ROW, event_identity
from auditor.reports import LATEST, MULTISET, NATURAL_KEY, SETTLEMENT, SNAPSHOT, Report
from auditor.sources import Source


def _target_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _insert_new(con: duckdb.DuckDBPyConnection, report: Report) -> int:
    """Insert the staged rows whose event identity (and occurrence number) the table does not
    hold yet. Only the table's rows dated within the file's dates can match, so only those are
    compared; a file that overlaps nothing is appended as it is."""
    key = event_identity(report)
    columns = ", ".join(f'"{c}"' for c in _target_columns(con, report.table))
    existing = report.table
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE _stage)").fetchall())
    dated = next((k for k in key if types[k] in ("DATE", "TIMESTAMP")), None)
    if dated:
        first, last, undated = con.execute(
            f'SELECT min("{dated}"), max("{dated}"), bool_or("{dated}" IS NULL) FROM _stage'
        ).fetchone()
        within = [f'"{dated}" BETWEEN ? AND ?'] if first is not None else []
        if undated:
            within.append(f'"{dated}" IS NULL')
        existing = f"(SELECT * FROM {report.table} WHERE {' OR '.join(within) or 'false'})"
        params = [first, last] if first is not None else []
    else:
        params = []
    before = con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0]
    overlaps = con.execute(f"SELECT EXISTS (SELECT 1 FROM {existing})", params).fetchone()[0]
    if not overlaps:
        _append(con, f"INSERT INTO {report.table} ({columns}) SELECT {columns} FROM _stage")
    else:
        same = " AND ".join(f't."{k}" IS NOT DISTINCT FROM s."{k}"' for k in key)
        _append(
            con,
            f"""INSERT INTO {report.table} ({columns})
            SELECT {columns} FROM _stage s
            WHERE NOT EXISTS (SELECT 1 FROM {existing} t
                              WHERE t._key = s._key AND t._occurrence = s._occurrence
                                AND {same})""",
            params,
        )
    return con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0] - before


def _append(con: duckdb.DuckDBPyConnection, insert: str, params: list | None = None) -> None:
    """Run an INSERT into a report's table without keeping the rows' order: each row carries its
    file and line, and DuckDB then writes the rows straight to compressed storage in parallel
    (about half the time)."""
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(insert, params or [])
    finally:
        con.execute("SET preserve_insertion_order = true")


def _merge_multiset(con, report: Report, source: Source) -> int:
    return _insert_new(con, report)


def _merge_natural_key(con, report: Report, source: Source) -> int:
    # A natural key: the first row in the file is kept.
    con.execute("DELETE FROM _stage WHERE _occurrence > 1")
    return _insert_new(con, report)


def _merge_latest(con, report: Report, source: Source) -> int:
    # Every distinct row is kept; the views pick the newest per key.
    return _insert_new(con, report)


def _merge_settlement(con, report: Report, source: Source) -> int:
    """A settlement is loaded once; the same id with other rows is a conflict."""
    line_columns = [c.name for c in report.columns]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _totals AS
        SELECT settlement_id, any_value(settlement_start_date) AS settlement_start_date,
               any_value(settlement_end_date) AS settlement_end_date,
               any_value(deposit_date) AS deposit_date, any_value(total_amount) AS total_amount,
               any_value(currency) AS currency, min(_line) AS _line
        FROM _stage WHERE {SETTLEMENT_TOTALS_ROW}
        GROUP BY settlement_id"""
    )
    mixed = con.execute(
        """SELECT _line, settlement_id, currency, first FROM (
            SELECT _line, settlement_id, currency,
                first(currency ORDER BY _line) OVER (PARTITION BY settlement_id) AS first
            FROM _stage WHERE currency IS NOT NULL)
        WHERE currency <> first ORDER BY _line LIMIT 1"""
    ).fetchone()
    if mixed:
        line, settlement, currency, first = mixed
        raise LoadError(
            f"line {line}: currency {currency} in settlement {settlement}, whose earlier rows "
            f"are in {first}; a settlement is paid in one currency, so this file was edited or "
            "joined from several: download it again from Payments > All Statements "
            "(file not loaded)"
        )
    content = ", ".join(f'"{c}"' for c in line_columns if c not in ("currency", "total_amount"))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _fingerprints AS
        SELECT settlement_id, count(*) AS line_count,
               sum(hash({content})::HUGEINT) AS fingerprint,
               settlement_id NOT IN (SELECT settlement_id FROM settlements) AS new
        FROM _stage WHERE NOT ({SETTLEMENT_TOTALS_ROW}) GROUP BY settlement_id"""
    )
    conflict = con.execute(
        """SELECT f.settlement_id, p.name FROM _fingerprints f
        JOIN settlements s USING (settlement_id) JOIN files p ON p.file_id = s._file_id
        WHERE s.fingerprint <> f.fingerprint OR s.line_count <> f.line_count
        ORDER BY 1 LIMIT 1"""
    ).fetchone()
    if conflict:
        raise LoadError(
            f"settlement {conflict[0]} is already loaded from {conflict[1]} with different rows;"
            " keep the download you trust and remove the other (file not loaded)"
        )
    file_id = con.execute("SELECT any_value(_file_id) FROM _stage").fetchone()[0]
    con.execute(
        f"""INSERT INTO settlements
        SELECT f.settlement_id, t.settlement_start_date, t.settlement_end_date, t.deposit_date,
               t.total_amount, t.currency, f.line_count, f.fingerprint,
               {file_id if file_id is not None else "NULL"}, t._line
        FROM _fingerprints f LEFT JOIN _totals t USING (settlement_id)
        WHERE f.new"""
    )
    # Settlements not loaded before go in whole, each line with the currency its totals row
    # names.
    columns = _target_columns(con, report.table)
    select = ", ".join(
        "coalesce(s.currency, t.currency)" if c == "currency" else f's."{c}"' for c in columns
    )
    before = con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0]
    _append(
        con,
        f"""INSERT INTO {report.table} ({", ".join(f'"{c}"' for c in columns)})
        SELECT {select} FROM _stage s LEFT JOIN _totals t USING (settlement_id)
        WHERE NOT ({SETTLEMENT_TOTALS_ROW})
          AND s.settlement_id IN (SELECT settlement_id FROM _fingerprints WHERE new)""",
    )
    con.execute("DROP TABLE _totals")
    con.execute("DROP TABLE _fingerprints")
    return con.execute(f"SELECT count(*) FROM {report.table}").fetchone()[0] - before


MERGERS = {
    MULTISET: _merge_multiset,
    NATURAL_KEY: _merge_natural_key,
    LATEST: _merge_latest,
    SETTLEMENT: _merge_settlement,
    SNAPSHOT: _merge_natural_key,
}
