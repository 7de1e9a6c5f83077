"""Shared helpers: a fresh seller database and a way to load files into it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.ingest import FileResult, ingest
from auditor.samples import AS_OF
from auditor.store import connect

ROOT = Path(__file__).resolve().parent.parent
INPUTS = Path(__file__).parent / "inputs"
SAMPLES = ROOT / "sample_reports"


@pytest.fixture
def db(tmp_path):
    con = connect(tmp_path / "seller.duckdb")
    yield con
    con.close()


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def load(con, folder: Path) -> dict[str, FileResult]:
    return {r.name: r for r in ingest(con, folder)}


def value(con, sql: str):
    return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="session")
def sample_audit(tmp_path_factory):
    """`fba-audit run` on the shipped samples, once: (output folder, printed output)."""
    out = tmp_path_factory.mktemp("sample-audit")
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(SAMPLES),
            "--as-of",
            str(AS_OF),
            "--db",
            str(out / "s.duckdb"),
            "--out",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return out, result.output
