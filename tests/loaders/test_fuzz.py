"""Every loader on generated rows: random unicode text, random quoting and delimiters, columns in
any order. A file either loads with every value as written or is refused on one line."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.reports import REPORTS
from auditor.store import connect
from tests.conftest import load, write

# Text as a title or comment may hold it: any printable character, no control characters
# (which no report writes), no surrounding spaces (the loader trims them).
TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn")), min_size=1
).filter(lambda s: s == s.strip())
VALUES = {
    "text": TEXT,
    "int": st.integers(0, 10**6),
    "money": st.decimals(0, 10**5, places=2, allow_nan=False, allow_infinity=False),
    "decimal": st.decimals(0, 10**3, places=2, allow_nan=False, allow_infinity=False),
    "date": st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 31)),
    "timestamp": st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2025, 12, 31)).map(
        lambda t: t.replace(microsecond=0)
    ),
}
# Columns the loader rewrites by design (a localized type word, a currency from the
# marketplace): not expected back as written.
REWRITTEN = {"transactions": {"type", "currency"}}
STYLES = {
    "tab, no quotes": ("\t", csv.QUOTE_NONE),
    "tab, every field quoted": ("\t", csv.QUOTE_ALL),
    "comma, quoted where needed": (",", csv.QUOTE_MINIMAL),
}


def written(value) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@st.composite
def report_file(draw, report):
    columns = draw(st.permutations(report.columns))
    style = draw(st.sampled_from(sorted(STYLES)))
    delimiter, quoting = STYLES[style]
    text = TEXT
    if quoting == csv.QUOTE_NONE:  # unquoted, a field cannot hold the delimiter
        text = TEXT.filter(lambda s: "\t" not in s and '"' not in s[:1])
    rows = []
    for i in range(draw(st.integers(1, 4))):
        row = {}
        for column in columns:
            strategy = text if column.kind == "text" else VALUES[column.kind]
            value = draw(strategy)
            if column.name in report.key_columns and column.kind == "text":
                value = f"{value}-{i}"  # keyed reports keep one row per key
            if column.name == "currency":
                value = "USD"
            row[column.name] = value
        rows.append(row)
    lines = [[c.name.replace("_", "-") for c in columns]]
    lines += [[written(row[c.name]) for c in columns] for row in rows]
    if quoting == csv.QUOTE_NONE:  # as Amazon's flat files: fields as they are, a " included
        return "".join("\t".join(line) + "\n" for line in lines), rows
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\n").writerows(lines)
    return out.getvalue(), rows


def expected(value):
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def loaded(value):
    if isinstance(value, Decimal):
        return value.normalize()
    return value


@pytest.mark.parametrize("report", REPORTS, ids=[r.key for r in REPORTS])
def test_loaded_values_round_trip(report, tmp_path_factory):
    outcomes = []

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(generated=report_file(report))
    def check(generated):
        content, rows = generated
        folder = tmp_path_factory.mktemp(report.key)
        write(folder, f"{report.key}.txt", content)
        con = connect(folder / "seller.duckdb")
        try:
            (result,) = load(con, folder / f"{report.key}.txt").values()
            outcomes.append(result.status)
            if result.status == "error":  # allowed, as one clear line
                assert "\n" not in result.message and result.message.startswith("line ")
                return
            assert (result.report, result.status, result.rows_new) == (
                report.key,
                "loaded",
                len(rows),
            )
            names = [c.name for c in report.columns if c.name not in REWRITTEN.get(report.key, ())]
            got = con.execute(
                f"SELECT {', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)} "
                f"FROM {report.table} ORDER BY _line"
            ).fetchall()
            want = [tuple(expected(row[n]) for n in names) for row in rows]
            assert [tuple(loaded(v) for v in r) for r in got] == want
        finally:
            con.close()

    check()
    # Refusals are allowed only as the exception: generated rows are valid reports.
    assert outcomes.count("loaded") >= len(outcomes) * 0.9, outcomes
