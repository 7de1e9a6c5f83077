"""Claim windows and policy values (and the choices the audit makes where Amazon is silent),
read from the data files in `auditor/data/` into DuckDB tables the rules and the findings code
join."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from importlib import resources
from pathlib import Path

import duckdb


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("auditor.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


WINDOW_COLUMNS = (
    "marketplace",
    "rule",
    "anchor",
    "eligible_after_days",
    "deadline_days",
    "effective_from",
)


class WindowsError(ValueError):
    """A claim-window table that cannot be used; the message names the file and line."""


def read_windows(path: Path) -> list[dict[str, str]]:
    """A seller's own claim-window table (the columns of auditor/data/claim_windows.csv), checked
    row by row. A row applies to events dated on or after its effective_from."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise WindowsError(f"{path}: cannot be read as a CSV text file ({error})") from None
    rows = list(csv.DictReader(text.splitlines()))
    missing = [c for c in WINDOW_COLUMNS if c not in (rows[0] if rows else {})]
    if missing:
        raise WindowsError(
            f"{path}: line 1: missing column(s) {', '.join(missing)}; the header must be "
            + ",".join(WINDOW_COLUMNS)
        )
    for line, row in enumerate(rows, start=2):
        try:
            int(row["eligible_after_days"]), int(row["deadline_days"])
            dt.date.fromisoformat(row["effective_from"])
        except (TypeError, ValueError):
            raise WindowsError(
                f"{path}: line {line}: eligible_after_days and deadline_days must be whole "
                "numbers of days and effective_from a date like 2024-10-23"
            ) from None
    return rows


def load_policy_tables(
    con: duckdb.DuckDBPyConnection, windows: list[dict[str, str]] | None = None
) -> None:
    """(Re)create the temp tables `claim_windows` (the built-in table, or `windows` from
    `read_windows`), `policy` and `regions`, and the macros `event_currency` and
    `policy_value`."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE claim_windows (
            region VARCHAR, rule VARCHAR, anchor VARCHAR, eligible_after_days INTEGER,
            deadline_days INTEGER, effective_from DATE)"""
    )
    con.executemany(
        "INSERT INTO claim_windows VALUES (?, ?, ?, ?, ?, ?)",
        [
            [
                r["marketplace"],
                r["rule"],
                r["anchor"],
                int(r["eligible_after_days"]),
                int(r["deadline_days"]),
                r["effective_from"],
            ]
            for r in (windows if windows is not None else _rows("claim_windows.csv"))
        ],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE policy (region VARCHAR, name VARCHAR, value DECIMAL(18,4))"
    )
    con.executemany(
        "INSERT INTO policy VALUES (?, ?, ?)",
        [[r["marketplace"], r["name"], Decimal(r["value"])] for r in _rows("policy.csv")],
    )
    # From when Amazon values a lost or damaged unit at its manufacturing cost, per region.
    con.execute("CREATE OR REPLACE TEMP TABLE cost_policy (region VARCHAR, effective_from DATE)")
    con.executemany(
        "INSERT INTO cost_policy VALUES (?, ?)",
        [[r["marketplace"], r["effective_from"]] for r in _rows("cost_policy.csv")],
    )
    con.execute("CREATE OR REPLACE TEMP TABLE regions (currency VARCHAR, region VARCHAR)")
    con.executemany(
        "INSERT INTO regions VALUES (?, ?)",
        [[r["currency"], r["region"]] for r in _rows("regions.csv")],
    )
    # The currency of a loss the ledger places in `country`, else the SKU's own (`home`).
    by_country = ", ".join(f"'{r['country']}': '{r['currency']}'" for r in _rows("countries.csv"))
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO event_currency(country, home) AS
        coalesce(MAP {{{by_country}}}[upper(country)], home, 'USD')"""
    )
    # The marketplace of a settlement's marketplace-name or a Date Range row's marketplace
    # ("Amazon.de"), else the only marketplace of its currency (GBP: UK); NULL when unknown.
    markets = _rows("marketplaces.csv")
    by_name = ", ".join(f"'{r['name']}': '{r['marketplace']}'" for r in markets)
    currencies: dict[str, list[str]] = {}
    for r in markets:
        currencies.setdefault(r["currency"], []).append(r["marketplace"])
    only = ", ".join(f"'{c}': '{m[0]}'" for c, m in sorted(currencies.items()) if len(m) == 1)
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO marketplace_of(name, cur) AS coalesce(
            MAP {{{by_name}}}[lower(trim(name))], MAP {{{only}}}[cur])"""
    )
    # A policy value for the region an amount's currency belongs to (US when unlisted). The
    # values are spelled into the macro: a macro that queried tables would capture its caller's
    # column names.
    values = {}
    regions = {r["currency"]: r["region"] for r in _rows("regions.csv")}
    policy = {(r["marketplace"], r["name"]): r["value"] for r in _rows("policy.csv")}
    for (region, name), value in policy.items():
        for currency, currency_region in regions.items():
            if currency_region == region:
                values[f"{name}|{currency}"] = value
        if region == "US":
            values[f"{name}|"] = value
    entries = ", ".join(f"'{k}': {v}::DECIMAL(18,4)" for k, v in sorted(values.items()))
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO policy_value(wanted, cur) AS coalesce(
            MAP {{{entries}}}[wanted || '|' || coalesce(cur, '')],
            MAP {{{entries}}}[wanted || '|'])"""
    )


def policy_value(name: str, region: str = "US") -> Decimal:
    for row in _rows("policy.csv"):
        if row["marketplace"] == region and row["name"] == name:
            return Decimal(row["value"])
    raise KeyError(f"no policy {name!r} for {region}")


def windows_in_force() -> list[dict[str, str]]:
    return _rows("claim_windows.csv")
