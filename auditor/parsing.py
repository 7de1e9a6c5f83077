"""SQL expressions that turn a report's text into typed values.

Formats are decided once per file from a sample of its values (which date order, decimal comma or
point); the chosen expression then runs in DuckDB over every row. A value the chosen format cannot
read becomes NULL and is caught by the loader, which names its line: a file is never half-read
under two interpretations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Localized month names as they appear in EU/JP Date Range reports, mapped to English.
MONTHS = {
    "ene": "Jan",
    "enero": "Jan",
    "janv": "Jan",
    "janvier": "Jan",
    "januar": "Jan",
    "gen": "Jan",
    "gennaio": "Jan",
    "jän": "Jan",
    "febr": "Feb",
    "févr": "Feb",
    "fev": "Feb",
    "février": "Feb",
    "februar": "Feb",
    "febrero": "Feb",
    "febbraio": "Feb",
    "mars": "Mar",
    "märz": "Mar",
    "marzo": "Mar",
    "mär": "Mar",
    "abr": "Apr",
    "abril": "Apr",
    "avr": "Apr",
    "avril": "Apr",
    "aprile": "Apr",
    "mai": "May",
    "mayo": "May",
    "mag": "May",
    "maggio": "May",
    "juin": "Jun",
    "juni": "Jun",
    "junio": "Jun",
    "giu": "Jun",
    "giugno": "Jun",
    "juil": "Jul",
    "juillet": "Jul",
    "juli": "Jul",
    "julio": "Jul",
    "lug": "Jul",
    "luglio": "Jul",
    "ago": "Aug",
    "agosto": "Aug",
    "août": "Aug",
    "aout": "Aug",
    "sept": "Sep",
    "set": "Sep",
    "septiembre": "Sep",
    "septembre": "Sep",
    "settembre": "Sep",
    "okt": "Oct",
    "oktober": "Oct",
    "octubre": "Oct",
    "octobre": "Oct",
    "ott": "Oct",
    "ottobre": "Oct",
    "dic": "Dec",
    "dez": "Dec",
    "dezember": "Dec",
    "déc": "Dec",
    "décembre": "Dec",
    "diciembre": "Dec",
    "dicembre": "Dec",
    "noviembre": "Nov",
    "novembre": "Nov",
}

_DATE_ORDERS_MONTH_FIRST = [
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%b %d, %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%d %B %Y",
    "%m/%d/%y",
    "%d/%m/%y",
    "%Y%m%d",
]
# ISO 8601's date order, the one written with a "T" before the time.
ISO_ORDER = "%Y-%m-%d"
_TIMES = ["", " %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", " %H:%M:%S.%f"]

# Strip a trailing time zone ("PDT", "UTC", "GMT-7", "+00:00", "-0700", "JST"), only after a time.
_TZ_SQL = (
    r"(\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:\s*[AaPp][Mm])?)"  # the time, kept
    r"\s*(?:Z|UTC|GMT|[A-Z]{2,5})?\s*(?:[+-]\d{1,2}(?::?\d{2})?)?$"  # the zone, dropped
)
_TZ_PY = re.compile(_TZ_SQL)
_ISO_T_SQL = r"^(\d{4}-\d\d-\d\d)T"
_MERIDIAN = re.compile(r"\b([ap])\.\s?m\.", re.I)


def sql_text(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _translate_months_py(value: str) -> str:
    def swap(match: re.Match) -> str:
        word = match.group(0)
        return MONTHS.get(word.casefold().rstrip("."), word)

    return re.sub(r"[^\W\d_]+\.?", swap, value)


def _needs_months(samples: list[str]) -> bool:
    return any(
        word.casefold() in MONTHS for value in samples for word in re.findall(r"[^\W\d_]+", value)
    )


def _clean_sql(col: str, samples: list[str]) -> str:
    """SQL that normalises date text (ISO `T`, a.m./p.m., time zone, localized month names),
    doing only the steps the samples show are needed."""
    expr = f"trim({col})"
    if any(re.match(_ISO_T_SQL, s.strip()) for s in samples):
        expr = f"regexp_replace({expr}, {sql_text(_ISO_T_SQL)}, '\\1 ')"
    if any(re.search(r"[ap]\.\s?m\.", s, re.I) for s in samples):
        expr = (
            f"regexp_replace(regexp_replace({expr}, '\\b[aA]\\.\\s?[mM]\\.', 'AM', 'g'),"
            f" '\\b[pP]\\.\\s?[mM]\\.', 'PM', 'g')"
        )
    meridian = [_MERIDIAN.sub(lambda m: m.group(1).upper() + "M", s.strip()) for s in samples]
    if any(_TZ_PY.sub(r"\1", s) != s for s in meridian):
        expr = f"regexp_replace({expr}, {sql_text(_TZ_SQL)}, '\\1')"
    if _needs_months(samples):
        # Longest names first so "mars" is not caught as "mar".
        for word in sorted(MONTHS, key=len, reverse=True):
            pattern = sql_text(r"(?i)(^|[\s\-/])" + re.escape(word) + r"\.?([\s\-/,]|$)")
            english = sql_text(r"\1" + MONTHS[word] + r"\2")
            expr = f"regexp_replace({expr}, {pattern}, {english})"
    return expr


# The formats a value's shape allows (after cleaning); anything else is tried against all.
_SHAPES = [
    (re.compile(r"^\d{4}-\d"), {"%Y-%m-%d"}),
    (re.compile(r"^\d{4}/"), {"%Y/%m/%d"}),
    (re.compile(r"^\d{8}\b"), {"%Y%m%d"}),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}"), {"%m/%d/%Y", "%d/%m/%Y"}),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{2}\b"), {"%m/%d/%y", "%d/%m/%y"}),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}"), {"%d.%m.%Y"}),
    (re.compile(r"^[^\W\d_]"), {"%b %d, %Y", "%B %d, %Y"}),
    (re.compile(r"^\d{1,2} [^\W\d_]"), {"%d %b %Y", "%d %B %Y"}),
]


def _candidates(samples: list[str], orders: list[str]) -> list[str]:
    allowed: set[str] = set()
    for value in samples[:MAX_FORMAT_SAMPLES]:
        shape = next((fmts for pattern, fmts in _SHAPES if pattern.match(value.strip())), None)
        if shape is None:
            return orders
        allowed |= shape
    return [fmt for fmt in orders if fmt in allowed] or orders


def _format_orders(dayfirst: bool) -> list[str]:
    orders = list(_DATE_ORDERS_MONTH_FIRST)
    if dayfirst:
        for day_month, month_day in (("%d/%m/%Y", "%m/%d/%Y"), ("%d/%m/%y", "%m/%d/%y")):
            orders.remove(day_month)
            orders.insert(orders.index(month_day), day_month)
    return orders


def _with_times(fmt: str) -> str:
    return "[" + ", ".join(sql_text(fmt + t) for t in _TIMES) + "]"


MAX_FORMAT_SAMPLES = 500


def choose_date_formats(
    con, table: str, columns: dict[str, list[str]], dayfirst: bool
) -> dict[str, str]:
    """For each text column (name -> its sample values), SQL reading it as a TIMESTAMP, in the
    date format that reads the most of `table`'s distinct values; ties go to the locale's order
    (month first unless `dayfirst`). Wall-clock time as written; a time zone is dropped."""
    orders = _format_orders(dayfirst)
    cleaned = {col: _clean_sql(col, samples) for col, samples in columns.items()}
    candidates = {
        col: _candidates([_translate_months_py(v) for v in samples[:50]], orders)
        for col, samples in columns.items()
    }
    counts = [
        f"(SELECT count(*) FILTER (WHERE try_strptime({cleaned[col]}, "
        f"{_with_times(fmt)}) IS NOT NULL) FROM (SELECT DISTINCT {col} FROM {table} "
        f"WHERE {col} IS NOT NULL LIMIT {MAX_FORMAT_SAMPLES}))"
        for col in columns
        for fmt in candidates[col]
    ]
    if not counts:
        return {}
    hits = con.execute(f"SELECT {', '.join(counts)}").fetchone()
    chosen, start = {}, 0
    for col in columns:
        mine, tried = hits[start : start + len(candidates[col])], candidates[col]
        start += len(tried)
        best = max(range(len(tried)), key=lambda i: (mine[i], -i))
        fmt = tried[best] if mine[best] else "%Y-%m-%d"
        chosen[col] = DateFormat(fmt, f"try_strptime({cleaned[col]}, {_with_times(fmt)})")
    return chosen


@dataclass(frozen=True)
class DateFormat:
    """The date order chosen for a column and the SQL that reads it."""

    order: str
    sql: str

    def __str__(self) -> str:
        return self.sql


def exact_format(con, table: str, col: str, fmt: DateFormat, kind: str) -> str | None:
    """The one strptime format that reads every sampled value of `col` exactly as the SQL of
    `fmt` would, if there is one: then DuckDB's CSV reader can type the column as it reads.
    A literal " UTC" is allowed, and in ISO 8601 ("2025-01-15T01:36:37+00:00") a literal
    "+00:00" or "Z": they never change (the SQL drops them too); other zones vary within a
    year. A later row the format does not read sends the file to the SQL (`read_whole`)."""
    if kind == "date":
        candidates = [fmt.order]
    else:
        candidates = [fmt.order + t + zone for zone in ("", " UTC") for t in _TIMES]
        if fmt.order == ISO_ORDER:
            candidates += [
                f"{fmt.order}T{t.lstrip()}{zone}"
                for zone in ("", "Z", "+00:00")
                for t in _TIMES
                if t and "%p" not in t
            ]
    # a miss: a value the candidate does not read, or reads otherwise than the SQL (DuckDB's
    # strptime takes "2026-5-1" where the SQL wants "2026-05-01")
    misses = con.execute(
        "SELECT "
        + ", ".join(
            f"count(*) FILTER (WHERE NOT coalesce(try_strptime({col}, {sql_text(c)}) = "
            f"({fmt.sql}), false))"
            for c in candidates
        )
        + f" FROM (SELECT DISTINCT {col} FROM {table} WHERE nullif(trim({col}), '') IS NOT NULL)"
    ).fetchone()
    return next((c for c, m in zip(candidates, misses, strict=True) if m == 0), None)


_PLAIN_NUMBER = {
    "int": re.compile(r"[+-]?(\d+|\d{1,3}(,\d{3})+)"),
    "money": re.compile(r"[+-]?(\d+|\d{1,3}(,\d{3})+)?(\.\d+)?"),
}


def reads_natively(samples: list[str], kind: str) -> bool:
    """True when every sampled number is plain (digits, a sign, a point, thousands commas), so
    DuckDB's CSV reader can type the column as it reads it."""
    pattern = _PLAIN_NUMBER["int" if kind == "int" else "money"]
    return all(pattern.fullmatch(v) and any(c.isdigit() for c in v) for v in samples)


def date_sql(timestamp_sql: DateFormat | str, kind: str) -> str:
    """`timestamp_sql` (from `choose_date_formats`) as the column's DATE or TIMESTAMP."""
    return f"CAST({timestamp_sql} AS DATE)" if kind == "date" else str(timestamp_sql)


def uses_decimal_comma(samples: list[str]) -> bool:
    """True when amounts are written `1.052,64` / `12,5` rather than `1,052.64` / `12.5`."""
    comma = point = 0
    for value in samples:
        v = value.strip().strip('"')
        if re.search(r",\d{1,2}$", v) and not re.search(r"\.\d{1,2}$", v):
            comma += 1
        elif re.search(r"\.\d{1,4}$", v) and not re.search(r"\.\d{3},", v):
            point += 1
    return comma > point


_NUMBER_JUNK = r"[^0-9,.+\-]"  # currency symbols, spaces, NBSP, quotes


def number_sql(col: str, decimal_comma: bool, kind: str) -> str:
    """SQL reading an amount or count; thousands separators and currency symbols are ignored."""
    text = f"regexp_replace({col}, {sql_text(_NUMBER_JUNK)}, '', 'g')"
    if decimal_comma:
        text = f"replace(replace({text}, '.', ''), ',', '.')"
    else:
        text = f"replace({text}, ',', '')"
    target = {"int": "BIGINT", "money": "DECIMAL(18,4)", "decimal": "DECIMAL(18,6)"}[kind]
    if kind == "int":
        # "3.0" from a spreadsheet is 3; "2.5" units is an error, not 2 or 3.
        as_decimal = f"TRY_CAST({text} AS DECIMAL(18,6))"
        return f"CASE WHEN {as_decimal} = round({as_decimal}) THEN CAST({as_decimal} AS BIGINT) END"
    return f"TRY_CAST({text} AS {target})"


def text_sql(col: str) -> str:
    return f"NULLIF(trim({col}), '')"
