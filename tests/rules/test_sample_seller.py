"""The shipped sample seller: `fba-audit run` reproduces expected_findings.csv byte for byte,
finds every planted case and no near miss."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.samples import AS_OF
from tests.conftest import SAMPLES


@pytest.fixture
def audited(sample_audit):
    out, output = sample_audit
    return out / "findings.csv", output


def rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_findings_match_the_golden_file(audited):
    path, _ = audited
    assert path.read_bytes() == (SAMPLES / "expected_findings.csv").read_bytes()


def test_every_plant_is_found_and_no_near_miss(audited):
    path, _ = audited
    found = {(f["rule"], f["key"], f["status"]): f for f in rows(path)}
    plants = rows(SAMPLES / "planted_cases.csv")
    for plant in plants:
        mine = {s: f for (r, k, s), f in found.items() if r == plant["rule"] and k == plant["key"]}
        if plant["kind"] == "near_miss":
            assert mine == {}, plant
            continue
        wanted = {"hit": ("open", "expiring"), "pending": ("pending",), "expired": ("expired",)}[
            plant["kind"]
        ]
        (status,) = [s for s in mine if s in wanted] or [None]
        assert status, plant
        finding = mine[status]
        assert finding["quantity"] == plant["quantity"], plant
        if plant["amount"]:
            assert Decimal(finding["amount"]) == Decimal(plant["amount"]), plant


def test_every_finding_traces_to_a_plant(audited):
    path, _ = audited
    planted = {
        (p["rule"], p["key"])
        for p in rows(SAMPLES / "planted_cases.csv")
        if p["kind"] != "near_miss"
    }
    assert {(f["rule"], f["key"]) for f in rows(path)} <= planted


def test_run_prints_a_table_and_the_card(audited):
    _, output = audited
    assert "R04" in output and "inbound.shortage" in output
    assert "fee card: US FBA fulfillment fees" in output


def test_the_same_inputs_give_the_same_bytes(audited, tmp_path):
    path, _ = audited
    # Another database, files copied in another layout: identical findings.
    flat = tmp_path / "flat"
    flat.mkdir()
    for n, source in enumerate(sorted(SAMPLES.rglob("*"), reverse=True)):
        if source.is_file():
            shutil.copy(source, flat / f"{n:03d}-{source.name}")
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(flat),
            "--as-of",
            str(AS_OF),
            "--db",
            str(tmp_path / "b.duckdb"),
            "--out",
            str(tmp_path),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    assert (tmp_path / "findings.csv").read_bytes() == path.read_bytes()
