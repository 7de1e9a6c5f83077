"""Every awkward real-world file in tests/inputs loads into the right table, right values."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import INPUTS, load

EXPECTED = json.loads((INPUTS / "expected.json").read_text(encoding="utf-8"))


def test_every_input_file_has_an_expectation():
    files = {p.name for p in INPUTS.iterdir() if p.is_file() and p.name != "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_input_file_loads(db, tmp_path, name):
    expected = EXPECTED[name]
    shutil.copy(INPUTS / name, tmp_path / name)
    (result,) = load(db, tmp_path).values()
    assert (result.status, result.message) == ("loaded", "")
    assert result.report == expected["report"]
    assert result.rows_new == expected["rows"]
    for sql, want in expected["checks"]:
        got = db.execute(sql).fetchone()[0]
        assert str(got) == want, sql


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_input_file_loads_whatever_it_is_called(db, tmp_path, name):
    shutil.copy(INPUTS / name, tmp_path / "download (3)")
    (result,) = load(db, tmp_path).values()
    assert result.report == EXPECTED[name]["report"]
