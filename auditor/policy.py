"""Claim windows and policy values (and the choices the audit makes where Amazon is silent),
read from the data files in `auditor/data/` into DuckDB tables the rules and the findings code
join."""

from __future__ import annotations

import csv
from decimal import Decimal
from importlib import resources

import duckdb


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("auditor.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def load_policy_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the temp tables `claim_windows`, `policy`, `regions` and `countries`."""
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
            for r in _rows("claim_windows.csv")
        ],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE policy (region VARCHAR, name VARCHAR, value DECIMAL(18,4))"
    )
    con.executemany(
        "INSERT INTO policy VALUES (?, ?, ?)",
        [[r["marketplace"], r["name"], Decimal(r["value"])] for r in _rows("policy.csv")],
    )
    con.execute("CREATE OR REPLACE TEMP TABLE regions (currency VARCHAR, region VARCHAR)")
    con.executemany(
        "INSERT INTO regions VALUES (?, ?)",
        [[r["currency"], r["region"]] for r in _rows("regions.csv")],
    )
    con.execute("CREATE OR REPLACE TEMP TABLE countries (country VARCHAR, currency VARCHAR)")
    con.executemany(
        "INSERT INTO countries VALUES (?, ?)",
        [[r["country"], r["currency"]] for r in _rows("countries.csv")],
    )
    # The currency of a loss the ledger places in `country`, else the SKU's own (`home`).
    by_country = ", ".join(f"'{r['country']}': '{r['currency']}'" for r in _rows("countries.csv"))
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO event_currency(country, home) AS
        coalesce(MAP {{{by_country}}}[upper(country)], home, 'USD')"""
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
