"""SQL expressions that turn a report's text into typed values.

Formats are decided once per file from a sample of its values (which date order, decimal comma or
point); the chosen expression then runs in DuckDB over every row. A value the chosen format cannot
read becomes NULL and is caught by the loader, which names its line: a file is never half-read
under two interpretations.
"""

from __future__ import annotations

import datetime as dt
import re

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
_TIMES = ["", " %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", " %H:%M:%S.%f"]

# Strip a trailing time zone ("PDT", "UTC", "GMT-7", "+00:00", "-0700", "JST"), only after a time.
_TZ_SQL = r"(\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:\s*[AaPp][Mm])?)\s*(?:Z|UTC|GMT|[A-Z]{2,5})?\s*(?:[+-]\d{1,2}(?::?\d{2})?)?$"
_TZ_PY = re.compile(_TZ_SQL)
_ISO_T_SQL = r"^(\d{4}-\d\d-\d\d)T"


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def clean_date_text(value: str) -> str:
    """The Python twin of `_clean_sql`, used on samples to choose a format."""
    value = re.sub(_ISO_T_SQL, r"\1 ", value.strip())
    value = re.sub(r"\b([ap])\.\s?m\.", lambda m: m.group(1).upper() + "M", value, flags=re.I)
    value = _TZ_PY.sub(r"\1", value)
    return _translate_months_py(value)


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
    """SQL that normalises date text the way `clean_date_text` does, doing only what's needed."""
    expr = f"trim({col})"
    if any(re.match(_ISO_T_SQL, s.strip()) for s in samples):
        expr = f"regexp_replace({expr}, {_quote(_ISO_T_SQL)}, '\\1 ')"
    if any(re.search(r"[ap]\.\s?m\.", s, re.I) for s in samples):
        expr = (
            f"regexp_replace(regexp_replace({expr}, '\\b[aA]\\.\\s?[mM]\\.', 'AM', 'g'),"
            f" '\\b[pP]\\.\\s?[mM]\\.', 'PM', 'g')"
        )
    if any(_TZ_PY.search(s.strip()) and _TZ_PY.sub(r"\1", s.strip()) != s.strip() for s in samples):
        expr = f"regexp_replace({expr}, {_quote(_TZ_SQL)}, '\\1')"
    if _needs_months(samples):
        # Longest names first so "mars" is not caught as "mar".
        for word in sorted(MONTHS, key=len, reverse=True):
            pattern = _quote(r"(?i)(^|[\s\-/])" + re.escape(word) + r"\.?([\s\-/,]|$)")
            english = _quote(r"\1" + MONTHS[word] + r"\2")
            expr = f"regexp_replace({expr}, {pattern}, {english})"
    return expr


def _try(fmt: str, value: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
        return True
    except ValueError:
        return False


def choose_date_format(samples: list[str], dayfirst: bool) -> str | None:
    """The date format (without time) that reads most samples; ties go to the locale's order."""
    cleaned = [clean_date_text(s) for s in samples if s and s.strip()]
    if not cleaned:
        return None
    orders = list(_DATE_ORDERS_MONTH_FIRST)
    if dayfirst:
        orders.remove("%d/%m/%Y")
        orders.insert(1, "%d/%m/%Y")
        orders.remove("%d/%m/%y")
        orders.insert(orders.index("%m/%d/%y"), "%d/%m/%y")
    best, best_hits = None, 0
    for fmt in orders:
        hits = sum(any(_try(fmt + t, v) for t in _TIMES) for v in cleaned)
        if hits > best_hits:
            best, best_hits = fmt, hits
    return best


def date_sql(col: str, samples: list[str], dayfirst: bool, kind: str) -> str:
    """SQL reading `col` as DATE or TIMESTAMP (wall-clock time as written; zone dropped)."""
    fmt = choose_date_format(samples, dayfirst) or "%Y-%m-%d"
    formats = "[" + ", ".join(_quote(fmt + t) for t in _TIMES) + "]"
    parsed = f"try_strptime({_clean_sql(col, samples)}, {formats})"
    return f"CAST({parsed} AS DATE)" if kind == "date" else parsed


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
    text = f"regexp_replace({col}, {_quote(_NUMBER_JUNK)}, '', 'g')"
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
