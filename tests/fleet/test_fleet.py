"""`fba-audit fleet` on a local Dask cluster of two workers: three generated sellers, one whose
worker dies once, and one that cannot be audited."""

from __future__ import annotations

import shutil
import subprocess
import sys
from decimal import Decimal

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from auditor.cli import main
from tests.conftest import ROOT

SELLERS = ("acme", "brightside", "corner-shop")


@pytest.fixture(scope="module")
def sellers_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet") / "sellers"
    for seed, name in enumerate(SELLERS, start=3):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "auditor.samples",
                "--out",
                str(root / name),
                "--seed",
                str(seed),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    broken = root / "broken"
    broken.mkdir()
    shutil.copy(root / "acme" / "my-catalog.csv", broken)
    (broken / "fba-audit.duckdb").write_text("not a database")  # its database is unusable
    return root


def workbook_values(path):
    """Every cell of every sheet, but the Inputs sheet's "Loaded at" (when a file was loaded)."""
    book = openpyxl.load_workbook(path)
    values = {}
    for sheet in book:
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        if sheet.title == "Inputs":
            rows = [row[:-1] for row in rows]
            assert book["Inputs"]["K1"].value == "Loaded at"
        values[sheet.title] = rows
    return values


@pytest.mark.slow
def test_a_fleet_audits_each_seller_as_a_run_of_its_own(sellers_dir, tmp_path, monkeypatch):
    marker = tmp_path / "died"
    monkeypatch.setenv("FBA_AUDIT_DIE_ONCE", f"brightside:{marker}")
    out = tmp_path / "out"
    (tmp_path / "databases").mkdir()
    (tmp_path / "databases" / "broken.duckdb").write_text("not a database")
    result = CliRunner().invoke(
        main,
        ["fleet", str(sellers_dir), "--as-of", "2026-01-15", "--out", str(out), "--workers", "2"]
        + ["--databases", str(tmp_path / "databases")],
    )
    assert marker.exists()  # brightside's first worker died
    assert result.exit_code == 1, result.output  # one seller failed
    assert "broken: failed: " in result.output
    assert "cannot be opened as an fba-audit database" in result.output
    assert "wrote " in result.output and "3 of 4 sellers audited" in result.output

    # Each seller's files are those of a run of its own, byte for byte (the workbook: cell for
    # cell, since a workbook file records when it was written).
    for name in SELLERS:
        alone = tmp_path / "alone" / name
        single = CliRunner().invoke(
            main,
            ["run", str(sellers_dir / name), "--as-of", "2026-01-15", "--quiet"]
            + ["--db", str(tmp_path / f"{name}.duckdb"), "--out", str(alone)],
        )
        assert single.exit_code == 0, single.output
        mine = out / name
        for file in ("findings.csv", "evidence.csv"):
            assert (mine / file).read_bytes() == (alone / file).read_bytes(), (name, file)
        cases = sorted(p.name for p in (alone / "cases").iterdir())
        assert cases and sorted(p.name for p in (mine / "cases").iterdir()) == cases
        for case in cases:
            assert (mine / "cases" / case).read_bytes() == (alone / "cases" / case).read_bytes()
        assert workbook_values(mine / "claims.xlsx") == workbook_values(alone / "claims.xlsx")

    # Every finding of the audited sellers, with a seller column.
    table = pl.read_parquet(out / "fleet_findings.parquet")
    assert table.columns[:3] == ["seller", "finding_id", "rule"]
    for name in SELLERS:
        findings = pl.read_csv(out / name / "findings.csv", infer_schema=False)
        mine = table.filter(pl.col("seller") == name)
        assert mine["finding_id"].to_list() == findings["finding_id"].to_list()
    assert "broken" not in table["seller"].to_list()
    assert str(table.schema["amount"]).startswith("Decimal")

    # fleet.xlsx: one row per seller, the failure first with its reason.
    rows = workbook_values(out / "fleet.xlsx")["Sellers"]
    assert rows[1][:3] == ["Seller", "Status", "Reason"]
    by_seller = {row[0]: row for row in rows[2:]}
    assert list(by_seller) == ["broken", *SELLERS]
    assert by_seller["broken"][1] == "failed"
    assert "cannot be opened as an fba-audit database" in by_seller["broken"][2]
    assert by_seller["brightside"][9] == 2  # tried again after its worker died
    assert {by_seller[name][9] for name in SELLERS} <= {1, 2}
    for name in SELLERS:
        findings = pl.read_csv(out / name / "findings.csv", infer_schema=False)
        claimable = findings.filter(pl.col("status").is_in(["open", "expiring"]))
        assert by_seller[name][1] == "audited"
        assert by_seller[name][3] == findings.height
        assert by_seller[name][4] == claimable.height
        total = sum(Decimal(a) for a in claimable["amount"] if a)
        assert by_seller[name][6] == f"{total:,.2f} USD"


def test_a_fleet_needs_seller_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["fleet", str(tmp_path / "empty"), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "no seller folders in it; put each seller's reports in a sub-folder" in result.output
