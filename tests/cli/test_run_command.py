"""`fba-audit run` on partial inputs, and the optional JSON/Parquet exports."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import polars as pl
from click.testing import CliRunner

from auditor.cli import main
from tests.conftest import INPUTS, SAMPLES


def test_a_rule_whose_reports_are_missing_says_what_it_needs(tmp_path):
    shutil.copy(INPUTS / "returns_cp1252.txt", tmp_path / "returns.txt")
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(tmp_path),
            "--as-of",
            "2026-10-01",
            "--db",
            str(tmp_path / "s.duckdb"),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    rule_rows = [line for line in result.output.splitlines() if line.startswith("│ R")]
    assert [row.split()[1] for row in rule_rows] == [f"R{n:02d}" for n in range(1, 11)]
    assert all("not run: needs" in row for row in rule_rows)
    assert (tmp_path / "findings.csv").read_text().count("\n") == 1  # the header alone


def test_json_and_parquet_carry_the_same_findings(tmp_path):
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
    rows = json.loads((tmp_path / "findings.json").read_text())
    frame = pl.read_parquet(tmp_path / "findings.parquet")
    expected = (SAMPLES / "expected_findings.csv").read_text().splitlines()
    assert len(rows) == frame.height == len(expected) - 1
    total = sum(Decimal(r["amount"]) for r in rows if r["amount"])
    assert frame["amount"].sum() == total
    assert frame.schema["claim_deadline"] == pl.Date
