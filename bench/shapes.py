"""The same seller in two shapes: as generated, each report in a few large files (the ledger in
two, the orders in one), and as a seller who downloads every month would hold it, each dated
report cut into one file per calendar month of its own download.

The rows are the same, so the findings must be too; what changes is the number of files, and so
what each file costs to load beyond its rows (a transaction, a sniff, a sample, a merge against
what an overlapping file already loaded).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from auditor.reports import EVENT_DATE
from auditor.sniff import SAMPLE_BYTES, NotAReport, sniff
from bench import generated

# The reports a seller downloads for a date range, which can be cut at any day.
DATED = ("ledger", "orders", "returns", "reimbursements", "adjustments", "removals")
_ISO_MONTH = re.compile(r"(\d{4})-(\d\d)-\d\d")
_US_MONTH = re.compile(r"(\d\d)/\d\d/(\d{4})")


def _month(field: str) -> str:
    found = _ISO_MONTH.search(field)
    if found:
        return f"{found.group(1)}-{found.group(2)}"
    found = _US_MONTH.search(field)
    if found:
        return f"{found.group(2)}-{found.group(1)}"
    return "undated"


def _split(path: Path, into: Path, header_line: int, column: int, delimiter: str) -> int:
    """Cut `path` into `into/<stem>-<month><suffix>`, each part with the file's own lines above
    and including its header; return the number of parts."""
    parts: dict[str, object] = {}
    with open(path, "rb") as f:
        head = [f.readline() for _ in range(header_line)]
        sep = delimiter.encode()
        for line in f:
            fields = line.split(sep, column + 1)
            month = (
                _month(fields[column].decode("utf-8", "replace")) if len(fields) > column else ""
            )
            out = parts.get(month)
            if out is None:
                out = parts[month] = open(into / f"{path.stem}-{month}{path.suffix}", "wb")
                out.writelines(head)
            out.write(line)
    for out in parts.values():
        out.close()
    return len(parts)


def monthly(seller: Path, work: Path) -> Path:
    """`seller` with each dated report cut into calendar months, kept under `work` and reused."""
    folder = work / f"{seller.name}-monthly"
    generated(folder, lambda out: _cut(seller, out))
    return folder


def _cut(seller: Path, folder: Path) -> None:
    for path in sorted(p for p in seller.rglob("*") if p.is_file() and p.name[0] != "."):
        target = folder / path.relative_to(seller).parent
        target.mkdir(parents=True, exist_ok=True)
        with open(path, "rb") as f:
            head = f.read(SAMPLE_BYTES)
        try:
            sniffed = sniff(head, path.name)
        except NotAReport:
            sniffed = None
        if sniffed is None or sniffed.report.key not in DATED:
            os.link(path, target / path.name)
            continue
        dated = EVENT_DATE[sniffed.report.key]
        column = next(p for p, c in sniffed.mapping.items() if c.name == dated)
        _split(path, target, sniffed.header_line, column, sniffed.delimiter)
