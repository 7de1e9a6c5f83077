"""The canonical views cut at the as-of date: events after it are unseen by the rules."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import duckdb

from auditor.store import REIMBURSEMENTS_SQL

if TYPE_CHECKING:
    from auditor.facts import Facts

# A view, and the expression dating its rows for the as-of cut.
AS_OF_VIEWS = {
    "ledger": "date",
    "adjustments": "CAST(adjusted_date AS DATE)",
    "returns": "CAST(return_date AS DATE)",
    "reimbursement_events": "CAST(approval_date AS DATE)",
    "settlement_lines": "posted_on",
    "transactions": "CAST(date_time AS DATE)",
    "orders": "CAST(purchase_date AS DATE)",
    "removals": "CAST(request_date AS DATE)",
    "fee_preview": "snapshot_date",
}


def as_of_views(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    db = con.execute("SELECT current_database()").fetchone()[0]
    day = f"DATE '{as_of.isoformat()}'"
    for view, dated in AS_OF_VIEWS.items():
        con.execute(
            f'CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM "{db}".main.{view} '
            f"WHERE {dated} <= {day}"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW reimbursements AS {REIMBURSEMENTS_SQL}")
    # Each removal order line as its newest download has it (a removal order is downloaded
    # again as it progresses): R11 and R12 read these.
    con.execute(
        """CREATE OR REPLACE TEMP VIEW removal_lines AS SELECT * FROM removals
        QUALIFY row_number() OVER (
            PARTITION BY order_id, fnsku, coalesce(disposition, '')
            ORDER BY last_updated_date DESC, _file_id DESC, _line DESC) = 1"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP VIEW fee_preview_latest AS SELECT * FROM fee_preview
        QUALIFY row_number() OVER (PARTITION BY sku ORDER BY snapshot_date DESC,
                                   _file_id DESC) = 1"""
    )
    # A shipment that closed after the as-of date was still open on it.
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW inbound_items AS
        SELECT * REPLACE (
            CASE WHEN closed_date > {day} THEN 'RECEIVING' ELSE shipment_status END
                AS shipment_status,
            CASE WHEN closed_date > {day} THEN NULL ELSE closed_date END AS closed_date)
        FROM "{db}".main.inbound_items"""
    )


def uncovered_currencies(con: duckdb.DuckDBPyConnection, facts: Facts) -> None:
    """A marketplace whose currency the policy data has no region for is audited on the US
    claim windows; say so, since its real windows may be shorter."""
    missing = con.execute(
        """SELECT DISTINCT currency FROM files
        WHERE currency IS NOT NULL AND currency NOT IN (SELECT currency FROM regions)
        ORDER BY 1"""
    ).fetchall()
    for (currency,) in missing:
        facts.notes.append(
            f"claim windows: no region for {currency} in the policy data (regions.csv); its "
            "findings use the US windows, check that marketplace's deadlines before filing"
        )
