"""A broken file is refused with one line naming its line and the fix; every other file loads,
and nothing of the broken one is left behind."""

from __future__ import annotations

import shutil

import pytest

from auditor.ingest.reading import HEAD_ROWS
from tests.conftest import INPUTS, load, value, write

HEADER = (
    "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\t"
    "detailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n"
)
GOOD = (
    "2026-09-14T07:03:57+00:00\t111-1\tSKU\tB0\tX1\tMug\t1\tPHX7\tSELLABLE\tNO\t"
    "Unit returned to inventory\tLPN{n}\t\n"
)


def returns_file(rows: int, tail: str = "") -> str:
    return HEADER + "".join(GOOD.format(n=n) for n in range(rows)) + tail


@pytest.mark.parametrize(
    "content, line, words",
    [
        (returns_file(3, "2026-09-14T07:03:57+00:00\t111-9\tSKU\tB0"), 5, "cut short"),
        (returns_file(2, GOOD.format(n=9).replace("\t\n", "\textra\tmore\n")), 4, "found 14"),
        (returns_file(4, GOOD.format(n=9).replace("\t1\t", "\tone\t")), 6, "quantity value 'one'"),
        (returns_file(1, GOOD.format(n=9).replace("2026-09-14", "2026-13-45")), 3, "return_date"),
    ],
    ids=["truncated-last-row", "too-many-columns", "text-in-a-number", "impossible-date"],
)
def test_malformed_file_is_refused_and_others_load(db, tmp_path, content, line, words):
    write(tmp_path, "bad-returns.txt", content)
    shutil.copy(INPUTS / "removals.txt", tmp_path / "removals.txt")
    results = load(db, tmp_path)
    bad = results["bad-returns.txt"]
    assert bad.status == "error"
    assert bad.message.startswith(f"line {line}: ")
    assert words in bad.message
    assert "\n" not in bad.message
    assert results["removals.txt"].status == "loaded"
    assert value(db, "SELECT count(*) FROM returns") == 0
    assert value(db, "SELECT count(*) FROM files WHERE report = 'returns'") == 0


def test_binary_garbage_inside_a_report_is_refused(db, tmp_path):
    write(tmp_path, "r.txt", returns_file(2).encode() + b"\x00\x01\x02garbage\n" + GOOD.encode())
    (result,) = load(db, tmp_path).values()
    assert result.status == "error"
    assert result.message.startswith("line 4: binary data")


def test_file_that_is_not_a_report_is_listed_and_skipped(db, tmp_path):
    write(tmp_path, "notes.txt", "buy more mugs\ncall the supplier\n")
    write(tmp_path, "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" * 50)
    write(tmp_path, "empty.txt", "")
    results = load(db, tmp_path)
    assert {r.status for r in results.values()} == {"unknown"}
    assert results["empty.txt"].message == "empty file"


def test_header_only_file_loads_nothing(db, tmp_path):
    write(tmp_path, "r.txt", HEADER)
    (result,) = load(db, tmp_path).values()
    assert (result.status, result.rows_new) == ("loaded", 0)


def test_settlement_with_same_id_and_different_rows_is_a_conflict(db, tmp_path):
    original = (INPUTS / "settlement_de_decimal_comma.txt").read_text()
    write(tmp_path / "a", "s.txt", original)
    load(db, tmp_path / "a")
    write(tmp_path / "b", "s-again.txt", original.replace("-64,44", "-60,00"))
    (result,) = load(db, tmp_path / "b").values()
    assert result.status == "error"
    assert "settlement 9912345678 is already loaded from s.txt with different rows" in (
        result.message
    )
    assert value(db, "SELECT sum(amount) FROM settlement_lines") == value(
        db, "SELECT total_amount FROM settlements"
    )


def test_blank_lines_keep_true_line_numbers(db, tmp_path):
    write(tmp_path, "r.txt", HEADER + GOOD.format(n=1) + "\n\n" + GOOD.format(n=2))
    (result,) = load(db, tmp_path).values()
    assert result.rows_new == 2
    lines = db.execute("SELECT _line FROM returns ORDER BY _line").fetchall()
    assert lines == [(2,), (5,)]


def test_a_value_past_the_head_the_reader_cannot_type_is_read_as_text(db, tmp_path, monkeypatch):
    """The file's head promises plain counts, so the reader types them as it reads; a count
    written with a no-break space far below (as a spreadsheet leaves it) makes the file be read
    again as text, where it reads, and every row keeps its true line."""
    import auditor.ingest.staging as staging

    texts = []
    real = staging.read_as_text
    monkeypatch.setattr(staging, "read_as_text", lambda *a: texts.append(1) or real(*a))
    late = GOOD.format(n="late").replace("\t1\t", "\t2\u00a0\t")
    write(tmp_path, "r.txt", returns_file(HEAD_ROWS + 10) + late + GOOD.format(n="last"))
    (result,) = load(db, tmp_path).values()
    assert (result.status, result.rows_new) == ("loaded", HEAD_ROWS + 12)
    assert texts == [1]
    rows = db.execute(
        "SELECT _line, quantity, license_plate_number FROM returns WHERE _line > ? ORDER BY _line",
        [HEAD_ROWS + 10],
    ).fetchall()
    assert rows == [(HEAD_ROWS + 11, 1, f"LPN{HEAD_ROWS + 9}"), (HEAD_ROWS + 12, 2, "LPNlate"),
                    (HEAD_ROWS + 13, 1, "LPNlast")]  # fmt: skip


def test_header_with_a_trailing_tab_loads_rows_without_it(db, tmp_path):
    write(tmp_path, "r.txt", HEADER.replace("\n", "\t\n") + GOOD.format(n=1) + GOOD.format(n=2))
    (result,) = load(db, tmp_path).values()
    assert (result.status, result.rows_new) == ("loaded", 2)


ORDERS = (INPUTS / "orders_older_layout.txt").read_text(encoding="utf-8").splitlines()


def orders_file(purchases: list[str]) -> str:
    """The orders report, one row a purchase time, each with its own order id."""
    row = ORDERS[1].split("\t")
    lines = [ORDERS[0]]
    for n, when in enumerate(purchases):
        lines.append("\t".join([f"113-{n:07d}-1111111", row[1], when, when, *row[4:]]))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("late", [None, "2026-05-02T09:15:00-07:00"], ids=["utc", "offset-later"])
def test_iso_times_in_utc_are_typed_as_read_and_any_other_offset_reads_the_same(
    db, tmp_path, monkeypatch, late
):
    """ISO 8601 times all at +00:00 in the file's head are typed by the reader itself; a time
    at another offset further down sends the file to the SQL, which reads every time as written
    (the offset dropped, as for any time zone) — the same values either way."""
    import auditor.ingest.staging as staging

    texts = []
    real = staging.read_as_text
    monkeypatch.setattr(staging, "read_as_text", lambda *a: texts.append(1) or real(*a))
    times = ["2026-05-01T18:22:01+00:00"] * (HEAD_ROWS + 5) + [late or "2026-05-02T09:15:00+00:00"]
    write(tmp_path, "orders.txt", orders_file(times))
    (result,) = load(db, tmp_path).values()
    assert (result.status, result.rows_new) == ("loaded", HEAD_ROWS + 6)
    assert texts == ([1] if late else [])
    rows = db.execute(
        "SELECT purchase_date, count(*) FROM raw_orders GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [(str(when), n) for when, n in rows] == [
        ("2026-05-01 18:22:01", HEAD_ROWS + 5),
        ("2026-05-02 09:15:00", 1),
    ]


@pytest.mark.parametrize("late", [None, "2026-05-02T09:15:00-07:00"], ids=["alone", "offset-later"])
def test_times_the_reader_would_read_otherwise_than_the_sql_go_to_the_sql(db, tmp_path, late):
    """DuckDB's strptime takes an unpadded "2026-5-1T9:05:00Z"; the SQL does not. The reader
    is used only where it reads as the SQL does, so such a file is refused the same way (on its
    first row) whether or not a later row would have sent it to the SQL anyway."""
    times = ["2026-5-1T9:05:00Z"] * (HEAD_ROWS + 5) + ([late] if late else [])
    write(tmp_path, "orders.txt", orders_file(times))
    (result,) = load(db, tmp_path).values()
    assert result.status == "error"
    assert result.message.startswith("line 2: ")
    assert "'2026-5-1T9:05:00Z'" in result.message
    assert db.execute("SELECT count(*) FROM raw_orders").fetchone() == (0,)
