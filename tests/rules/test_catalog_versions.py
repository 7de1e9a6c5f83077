"""The seller's newest catalog file sets a SKU's unit cost, whichever order the files were
loaded in."""

from __future__ import annotations

import os
import time

import pytest

from auditor.ingest import ingest
from auditor.store import connect
from tests.rules.builders import ago, audit, brief, catalog, ledger, reimbursements

DAY = 24 * 3600
NEWER = time.time() - DAY
OLDER = NEWER - 30 * DAY


def load_catalog(tmp_path, name: str, cost: str, mtime: float) -> None:
    folder = tmp_path / name
    folder.mkdir()
    path = folder / f"{name}.txt"
    path.write_text(catalog({"cost": cost}), encoding="utf-8")
    os.utime(path, (mtime, mtime))
    con = connect(tmp_path / "seller" / "seller.duckdb")
    try:
        assert [r.status for r in ingest(con, folder)] == ["loaded"]
    finally:
        con.close()


@pytest.mark.parametrize(
    "loaded",
    [
        [("catalog-march", "9.00", NEWER), ("catalog-february", "1.00", OLDER)],
        [("catalog-february", "1.00", OLDER), ("catalog-march", "9.00", NEWER)],
    ],
    ids=["newer file loaded first", "newer file loaded second"],
)
def test_a_lost_unit_is_valued_at_the_cost_in_the_newest_catalog_file(tmp_path, loaded):
    for name, cost, mtime in loaded:
        load_catalog(tmp_path, name, cost, mtime)
    files = {
        "ledger": ledger({"date": ago(20), "qty": -2, "reason": "M"}),
        "reimbursements": reimbursements(),
    }
    assert brief(audit(tmp_path / "seller", files, "R02")) == [
        ("X1", "open", 2, "18.00", "2026-02-24")
    ]
