"""Loading is idempotent and order-independent: the same file twice, overlapping downloads and
any order of files give the same tables (for the ledger, the "multiset max": each identical row
as often as in any one file)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections import Counter

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import auditor.ingest
from auditor.reports import REPORTS
from auditor.samples.writers import LEDGER_HEADER, ledger_date, ledger_datetime, write_flat
from auditor.store import connect
from tests.conftest import INPUTS, SAMPLES, load, value

DAY0 = dt.date(2026, 7, 1)
LEDGER_CONTENT = (
    "date, fnsku, event_type, reference_id, quantity, reason, disposition, date_and_time"
)


def ledger_rows(events):
    for day, fnsku, qty, reason in events:
        date = DAY0 + dt.timedelta(days=day)
        yield [
            ledger_date(date),
            fnsku,
            "B0X",
            "SKU-" + fnsku,
            "Mug",
            "Adjustments",
            f"R{day}",
            qty,
            "PHX7",
            "SELLABLE",
            reason,
            "US",
            "0",
            str(qty),
            ledger_datetime(date),
        ]


def ledger_table(con) -> Counter:
    return Counter(con.execute(f"SELECT {LEDGER_CONTENT} FROM ledger").fetchall())


event = st.tuples(
    st.integers(0, 6),
    st.sampled_from(["X1", "X2"]),
    st.sampled_from([-1, 1, -2]),
    st.sampled_from(["M", "F"]),
)


def row_content(day, fnsku, qty, reason):
    date = DAY0 + dt.timedelta(days=day)
    return (
        date,
        fnsku,
        "Adjustments",
        f"R{day}",
        qty,
        reason,
        "SELLABLE",
        dt.datetime.combine(date, dt.time()),
    )


def loaded_one_at_a_time(tmp_path_factory, files) -> Counter:
    con = connect(tmp_path_factory.mktemp("db") / "seller.duckdb")
    try:
        for path in files:
            target = tmp_path_factory.mktemp("one")
            shutil.copy(path, target / path.name)
            load(con, target)
        table = ledger_table(con)
        again = load(con, files[0].parent)  # everything again: nothing new
        assert sum(r.rows_new for r in again.values()) == 0
        assert ledger_table(con) == table
    finally:
        con.close()
    return table


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(event, max_size=25),
    repeated=st.tuples(event, st.integers(2, 3)),
    ranges=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 2)),
        min_size=1,
        max_size=4,
    ),
    order=st.randoms(use_true_random=False),
)
@example(
    events=[],
    repeated=((2, "X1", -1, "M"), 2),
    ranges=[(2, 4, 0), (0, 2, 1)],
    order=random.Random(1),
).via("a download made during day 2, loaded first, holds one of its two identical rows")
def test_overlapping_ledger_downloads_merge_to_each_day_once(
    tmp_path_factory, events, repeated, ranges, order
):
    """Each file is a download of days `first..last`; one made during its last day lacks that
    day's last `unfinished` rows. One event always happens 2 or 3 times on its day, and the first
    download is complete and covers that day. Loaded one at a time in a random order, the union
    keeps each row as often as any one file has it."""
    same, copies = repeated
    first, last, _ = ranges[0]
    ranges = [(min(first, same[0]), max(last, same[0]), 0), *ranges[1:]]
    events = sorted([*events, *[same] * copies])
    folder = tmp_path_factory.mktemp("downloads")
    expected = Counter()
    for n, (a, b, unfinished) in enumerate(ranges):
        first, last = min(a, b), max(a, b)
        in_range = [e for e in events if first <= e[0] <= last]
        on_last_day = sum(1 for e in in_range if e[0] == last)
        in_file = in_range[: len(in_range) - min(unfinished, on_last_day)]
        write_flat(folder / f"ledger-{n}.txt", LEDGER_HEADER, ledger_rows(in_file), quote_all=True)
        expected |= Counter(row_content(*e) for e in in_file)

    files = sorted(folder.iterdir())
    order.shuffle(files)
    assert loaded_one_at_a_time(tmp_path_factory, files) == expected


def test_same_file_twice_changes_nothing(db, tmp_path):
    for name in ("returns_cp1252.txt", "reimbursements_web_download.csv", "date_range_de.csv"):
        shutil.copy(INPUTS / name, tmp_path / name)
    first = load(db, tmp_path)
    tables = {
        t: value(db, f"SELECT count(*) FROM {t}")
        for t in ("raw_returns", "raw_reimbursements", "raw_transactions", "files")
    }
    second = load(db, tmp_path)
    assert all(r.status == "present" for r in second.values())
    assert [r.rows_present for r in second.values()] == [r.rows_new for r in first.values()]
    assert tables == {t: value(db, f"SELECT count(*) FROM {t}") for t in tables}


def test_a_copy_with_other_bytes_adds_no_keyed_rows(db, tmp_path):
    original = (INPUTS / "reimbursements_web_download.csv").read_text()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r.csv").write_text(original)
    # The same rows re-downloaded with different line endings: a new file, no new rows.
    (tmp_path / "a" / "r2.csv").write_bytes(original.replace("\r\n", "\n").encode())
    results = load(db, tmp_path / "a")
    assert sorted((r.rows_new, r.rows_present) for r in results.values()) == [(0, 3), (3, 0)]
    assert value(db, "SELECT count(*) FROM reimbursement_events") == 3


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.permutations(
        sorted(p.name for p in INPUTS.iterdir() if p.is_file() and p.name != "expected.json")
    )
)
def test_file_order_does_not_change_the_tables(tmp_path_factory, order):
    con = connect(tmp_path_factory.mktemp("db") / "seller.duckdb")
    try:
        for name in order:
            folder = tmp_path_factory.mktemp("one")
            shutil.copy2(INPUTS / name, folder / name)
            load(con, folder)
        snapshot = tables(con)
    finally:
        con.close()
    reference = _reference_snapshot(tmp_path_factory)
    assert all(reference.values())
    assert snapshot == reference


RAW_TABLES = tuple(report.table for report in REPORTS)
VIEWS = (
    "ledger",
    "adjustments",
    "returns",
    "reimbursement_events",
    "reimbursements",
    "settlement_lines",
    "transactions",
    "orders",
    "removals",
    "inbound_items",
    "fee_preview",
    "fee_preview_latest",
    "catalog",
)
LOAD_ORDER_COLUMNS = ("_file_id", "_key", "_occurrence")


def tables(con) -> dict[str, list[str]]:
    """Every row of the raw tables and of the canonical views, without what depends on load
    order (file ids)."""
    snapshot = {}
    for name in RAW_TABLES + VIEWS:
        columns = [row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()]
        dropped = ", ".join(c for c in LOAD_ORDER_COLUMNS if c in columns)
        select = f"SELECT * EXCLUDE ({dropped})" if dropped else "SELECT *"
        snapshot[name] = sorted(map(repr, con.execute(f"{select} FROM {name}").fetchall()))
    return snapshot


_REFERENCE: dict = {}


def _reference_snapshot(tmp_path_factory):
    if not _REFERENCE:
        con = connect(tmp_path_factory.mktemp("ref") / "seller.duckdb")
        folder = tmp_path_factory.mktemp("all")
        for path in INPUTS.iterdir():
            if path.is_file() and path.name != "expected.json":
                shutil.copy2(path, folder / path.name)
        load(con, folder)
        _REFERENCE.update(tables(con))
        con.close()
    return _REFERENCE


def test_a_file_unchanged_on_disk_is_not_read_again_but_a_changed_one_is(db, tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(SAMPLES / "reimbursements.txt", folder)
    first = load(db, folder)
    assert {r.status for r in first.values()} == {"loaded"}
    rows = value(db, "SELECT count(*) FROM raw_reimbursements")

    real_scan = auditor.ingest.scan
    scanned = []

    def counted(path, sniffed):
        scanned.append(path.name)
        return real_scan(path, sniffed)

    monkeypatch.setattr(auditor.ingest, "scan", counted)
    again = load(db, folder)
    assert {r.status for r in again.values()} == {"present"} and scanned == []

    # The same bytes with a new modification time: hashed again, and known.
    path = folder / "reimbursements.txt"
    path.touch()
    assert {r.status for r in load(db, folder).values()} == {"present"}
    assert scanned == ["reimbursements.txt"]

    # Other bytes: hashed again and loaded (its new rows only).
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    changed = load(db, folder)["reimbursements.txt"]
    assert changed.status == "loaded" and changed.rows_new == 0
    assert value(db, "SELECT count(*) FROM raw_reimbursements") == rows
