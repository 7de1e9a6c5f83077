"""findings.json and findings.parquet hold the rows of findings.csv, value for value."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal

import polars as pl
from click.testing import CliRunner

from auditor.cli import main
from tests.conftest import SAMPLES


def as_text(column: str, value) -> str | None:
    if value is None or value == "":
        return None
    if column == "amount":
        return f"{Decimal(str(value)):.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def records(columns: list[str], rows: list[dict]) -> list[dict]:
    return [{c: as_text(c, row[c]) for c in columns} for row in rows]


def test_json_and_parquet_rows_equal_the_csv_rows_column_for_column(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(SAMPLES),
            "--as-of",
            "2026-01-15",
            "--db",
            str(tmp_path / "s.duckdb"),
            "--out",
            str(tmp_path),
            "--format",
            "json",
            "--format",
            "parquet",
        ],
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "findings.csv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames)
        from_csv = records(columns, list(reader))
    from_json = records(columns, json.loads((tmp_path / "findings.json").read_text()))
    from_parquet = records(columns, pl.read_parquet(tmp_path / "findings.parquet").to_dicts())

    assert len(from_csv) == len((SAMPLES / "expected_findings.csv").read_text().splitlines()) - 1
    assert {"status", "key", "sku", "amount", "claim_deadline"} <= set(columns)
    assert {r["status"] for r in from_csv} == {"open", "expiring", "expired", "pending"}
    assert from_json == from_csv
    assert from_parquet == from_csv
    schema = pl.read_parquet_schema(tmp_path / "findings.parquet")
    assert (schema["claim_deadline"], schema["amount"]) == (pl.Date, pl.Decimal(18, 2))
