"""A seller many times the sample's size: the sample seller's reports, each row written `copies`
times with its identifiers (SKU, FNSKU, ASIN, order, shipment, case, reimbursement and licence
plate numbers) made distinct per copy.

Every copy is a separate product line with the same history, so the copies' findings are the
sample's findings `copies` times over — which is what lets a benchmark check its answer at any
size. The files stay the sample's files (one per settlement period, two overlapping ledger
downloads), only longer, as a large seller's downloads are; rows keep their date order.

DuckDB reads the sample's files and writes the copies, so ten million rows take seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from auditor.sniff import SAMPLE_BYTES, NotAReport, sniff

# Columns whose values identify a product, order, shipment or claim: made distinct per copy.
IDENTIFIERS = frozenset(
    {
        "sku",
        "msku",
        "seller_sku",
        "fnsku",
        "asin",
        "order_id",
        "amazon_order_id",
        "merchant_order_id",
        "reference_id",
        "shipment_id",
        "shipment_name",
        "reimbursement_id",
        "original_reimbursement_id",
        "case_id",
        "license_plate_number",
        "transaction_item_id",
        "order_item_code",
        "merchant_order_item_id",
        "adjustment_id",
        "merchant_adjustment_item_id",
    }
)


def write_copies(sample: Path, out: Path, copies: int, memory_limit: str = "8GB") -> int:
    """Write `copies` copies of every report below `sample` into `out` (same relative paths);
    return the rows written. Files that are not reports are not copied."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = true")
    written = 0
    for path in sorted(p for p in sample.rglob("*") if p.is_file()):
        with open(path, "rb") as f:
            head = f.read(SAMPLE_BYTES)
        try:
            sniffed = sniff(head, path.name)
        except NotAReport:
            continue
        target = out / path.relative_to(sample)
        target.parent.mkdir(parents=True, exist_ok=True)
        written += _copy_file(con, path, target, sniffed, copies)
    con.close()
    return written


def _copy_file(con, path: Path, target: Path, sniffed, copies: int) -> int:
    width = len(sniffed.header)
    columns = [f"c{i}" for i in range(width)]
    spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
    quote = "'\"'" if sniffed.quoted else "''"
    delimiter = "'\\t'" if sniffed.delimiter == "\t" else "','"
    con.execute(
        f"""CREATE OR REPLACE TABLE original AS
        SELECT row_number() OVER () AS line, * FROM read_csv(
            ?, delim = {delimiter}, quote = {quote}, escape = {quote}, header = false,
            skip = {sniffed.header_line}, columns = {spec}, auto_detect = false,
            null_padding = true, parallel = false)""",
        [str(path)],
    )
    names = {position: column.name for position, column in sniffed.mapping.items()}
    selects = []
    for position, raw in enumerate(columns):
        name = names.get(position)
        if name in IDENTIFIERS:
            selects.append(
                f"CASE WHEN k = 0 OR coalesce({raw}, '') = '' THEN {raw} "
                f"ELSE {raw} || '-' || k END AS {raw}"
            )
        elif name == "total_amount" and sniffed.report.key == "settlement":
            # The settlement's total covers every copy's lines.
            selects.append(
                f"CASE WHEN {raw} IS NULL OR {raw} = '' THEN {raw} "
                f"ELSE (replace({raw}, ',', '')::DECIMAL(18,2) * {copies})::VARCHAR END AS {raw}"
            )
        else:
            selects.append(raw)
    where = "true"
    if sniffed.report.key == "settlement":
        # The totals row is written once.
        raw = {name: f"c{position}" for position, name in names.items()}
        totals = " AND ".join(
            f"coalesce({raw[name]}, '') = ''"
            for name in ("transaction_type", "amount_type", "amount")
        )
        where = f"k = 0 OR NOT ({totals})"
    body = target.with_name(target.name + ".body")
    options = f"DELIMITER {delimiter}, HEADER false, QUOTE {quote}"
    if sniffed.quoted:
        options += ", FORCE_QUOTE *"
    rows = con.execute(
        f"""COPY (SELECT {", ".join(selects)} FROM original, range({copies}) AS r(k)
                  WHERE {where} ORDER BY line, k)
        TO '{body}' ({options})"""
    ).fetchone()
    with open(path, "rb") as src:
        top = b"".join(src.readline() for _ in range(sniffed.header_line))
    with open(target, "wb") as dst, open(body, "rb") as part:
        dst.write(top if top.endswith(b"\n") else top + b"\n")
        shutil.copyfileobj(part, dst, 16 << 20)
    body.unlink()
    return rows[0]
