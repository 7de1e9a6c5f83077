"""claims.xlsx opened in LibreOffice: every sheet reads there as openpyxl reads it, the Claims
sheet holds the claimable findings of findings.csv, and a copy broken by hand does not pass."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed"
)

# Comma, double quote, UTF-8, raw values rather than as shown, every sheet to its own file.
EVERY_SHEET_AS_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def trimmed(rows: list[list[str]]) -> list[list[str]]:
    rows = [row[: max((n + 1 for n, v in enumerate(row) if v != ""), default=0)] for row in rows]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def libreoffice_reads(path: Path, workdir: Path) -> dict[str, list[list[str]]]:
    """Each sheet of the workbook at `path`, in order, as LibreOffice reads it: the cells as its
    CSV export writes them."""
    out = workdir / "libreoffice"
    result = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
            "--convert-to",
            EVERY_SHEET_AS_CSV,
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={"HOME": str(workdir), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    sheets = {}
    for line in result.stdout.splitlines():
        if line.startswith("Writing sheet "):
            name, _, written = line.removeprefix("Writing sheet ").rpartition(" -> ")
            with open(written, encoding="utf-8", newline="") as f:
                sheets[name] = trimmed(list(csv.reader(f)))
    return sheets


def as_libreoffice_writes(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if cell.is_date:
        with_time = "h" in cell.number_format.lower()
        return value.strftime("%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.15g}"
    return str(value)


DAYS_LEFT = re.compile(r"^=([A-Z]+[0-9]+)-TODAY\(\)$")


def openpyxl_reads(path: Path) -> dict[str, list[list[str]]]:
    """Each sheet as openpyxl reads it; a days-left formula as the number it must come to."""
    book = load_workbook(path)
    sheets = {}
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows():
            cells = []
            for c in row:
                days_left = DAYS_LEFT.match(c.value) if c.data_type == "f" else None
                if days_left:
                    deadline = sheet[days_left[1]].value.date()
                    cells.append(str((deadline - dt.date.today()).days))
                else:
                    cells.append(as_libreoffice_writes(c))
            rows.append(cells)
        sheets[sheet.title] = trimmed(rows)
    return sheets


def differences(seen: dict, written: dict) -> list[tuple[str, str, str]]:
    """(cell, what LibreOffice read, what openpyxl read) for every cell where they differ."""
    found = []
    for sheet in written:
        theirs, ours = seen.get(sheet, []), written[sheet]
        for r in range(max(len(theirs), len(ours))):
            a = theirs[r] if r < len(theirs) else []
            b = ours[r] if r < len(ours) else []
            for c in range(max(len(a), len(b))):
                x = a[c] if c < len(a) else ""
                y = b[c] if c < len(b) else ""
                if x != y:
                    found.append((f"{sheet}!{get_column_letter(c + 1)}{r + 1}", x, y))
    return found


@pytest.fixture(scope="module")
def workbook(sample_audit) -> Path:
    return sample_audit[0] / "claims.xlsx"


@pytest.fixture(scope="module")
def seen(workbook, tmp_path_factory) -> dict[str, list[list[str]]]:
    return libreoffice_reads(workbook, tmp_path_factory.mktemp("soffice"))


def test_libreoffice_reads_every_sheet_as_openpyxl_does(workbook, seen):
    written = openpyxl_reads(workbook)
    assert list(seen) == list(written)
    assert differences(seen, written) == []
    assert seen["Summary"][0] == ["Amazon FBA claims"]
    assert seen["Claims"][0][0] == "Finding id"


def test_libreoffice_sees_the_claimable_findings_of_findings_csv(workbook, seen):
    with open(workbook.parent / "findings.csv", encoding="utf-8", newline="") as f:
        claimable = [r for r in csv.DictReader(f) if r["status"] in ("open", "expiring")]
    header, *rows = seen["Claims"]
    claims = [dict(zip(header, row + [""] * (len(header) - len(row)), strict=True)) for row in rows]

    def money(text):
        return Decimal(text) if text else None

    assert sorted(
        (c["Rule"], c["Key"], c["Status"], c["Deadline"], c["Units"], money(c["Amount"]))
        for c in claims
    ) == sorted(
        (f["rule"], f["key"], f["status"], f["claim_deadline"], f["quantity"], money(f["amount"]))
        for f in claimable
    )
    summary = {row[0]: row[1] for row in seen["Summary"] if len(row) > 1}
    assert Decimal(summary["Total claimable now (USD)"]) == sum(
        money(f["amount"]) for f in claimable if f["amount"]
    )


def broken_copy(original: Path, copy: Path, member: str, cell: str, broken) -> Path:
    """A copy of `original` whose `cell` element in the sheet part `member` is `broken(it)`."""
    element = re.compile(rb'<c r="' + cell.encode() + rb'"[^>]*>.*?</c>')
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(copy, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == member:
                data, count = element.subn(lambda m: broken(m.group()), data)
                assert count == 1
            target.writestr(item, data, zipfile.ZIP_DEFLATED)
    return copy


BROKEN = {
    "a shared string that does not exist": (
        "Summary",
        "xl/worksheets/sheet1.xml",
        "A4",
        lambda cell: b'<c r="A4" t="s"><v>99</v></c>',
    ),
    "a cell in row 0": (
        "Claims",
        "xl/worksheets/sheet2.xml",
        "F2",
        lambda cell: cell.replace(b'r="F2"', b'r="F0"'),
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_copy_broken_by_hand_does_not_read_as_written(workbook, tmp_path, case):
    sheet, member, cell, broken = BROKEN[case]
    written = openpyxl_reads(workbook)
    value = load_workbook(workbook)[sheet][cell].value
    assert value
    copy = broken_copy(workbook, tmp_path / "broken.xlsx", member, cell, broken)
    assert differences(libreoffice_reads(copy, tmp_path), written) == [
        (f"{sheet}!{cell}", "", str(value))
    ]
