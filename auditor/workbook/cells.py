"""Cells and sheets in openpyxl's streaming mode: styles worked out once, report text always
stored as text, long sheets continued on a sheet of their own."""

from __future__ import annotations

import datetime as dt
import re
import weakref
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

# A finding's first evidence rows, the ones its case text quotes, are shown under it on its rule's
# sheet; every row is in its case file. A fee claim can rest on thousands of order lines, and
# writing them all into the workbook as well was most of its time.
CASE_TEXT_EVIDENCE = 12
EVIDENCE_ROWS = CASE_TEXT_EVIDENCE
MAX_ROWS = 1_048_576  # Excel's rows per sheet; a longer sheet continues on "<name> (2)"
BOLD = Font(bold=True)
ITALIC = Font(italic=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
EXPIRING_FILL = PatternFill("solid", fgColor="FCE4D6")
FINDING_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="top")
LINK = Font(color="0563C1", underline="single")
DATE_FORMAT = "yyyy-mm-dd"
CURRENCY_FORMATS = {
    "USD": '"$"#,##0.00',
    "CAD": '"CA$"#,##0.00',
    "GBP": '"£"#,##0.00',
    "EUR": '#,##0.00 "€"',
    "JPY": '"¥"#,##0',
    "AUD": '"A$"#,##0.00',
    "MXN": '"MX$"#,##0.00',
}


class NoRun(Exception):
    """The database has no audit run to write a workbook from."""


def money_format(currency: str | None) -> str:
    return CURRENCY_FORMATS.get(currency or "", f'#,##0.00 "{currency or ""}"')


def print_wide(ws) -> None:
    """Print landscape, as wide as the page, the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


class Sheet:
    """A streaming sheet: header row frozen and filtered, widths set, cells typed. Past Excel's
    row limit it continues on a new sheet named "<name> (2)", header repeated."""

    def __init__(
        self,
        book: Workbook,
        name: str,
        header: list[str],
        widths: list[float],
        max_rows: int = MAX_ROWS,
    ):
        self.book, self.name, self.header, self.widths = book, name, header, widths
        self.max_rows, self.part, self.sheets = max_rows, 0, []
        self.columns = len(header)  # the widest row so far: the filter covers them all
        self._open()

    def _open(self) -> None:
        self.part += 1
        title = self.name if self.part == 1 else f"{self.name} ({self.part})"
        ws = self.book.create_sheet(title)
        ws.freeze_panes = "A2"
        print_wide(ws)
        for n, width in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(n)].width = width
        self.ws, self.row = ws, 0
        self.sheets.append(ws)
        # a header wider than its column wraps rather than being cut off
        self.append(
            self.header, font=BOLD, fill=HEADER_FILL, wrap=frozenset(range(len(self.header)))
        )

    def append(
        self,
        values: list,
        font=None,
        fill=None,
        formats: dict[int, str] | None = None,
        links: dict[int, str] | None = None,
        wrap: frozenset[int] = frozenset(),
        height: float | None = None,
    ) -> None:
        if self.row >= self.max_rows:
            self._close()
            self._open()
        self.row += 1
        self.columns = max(self.columns, len(values))
        if height:
            # a streamed sheet cannot grow a row to its wrapped text: give it the height
            self.ws.row_dimensions[self.row].height = height
        if not (font or fill or formats or links or wrap):
            self.ws.append([cell_for(self.ws, value) for value in values])
            return
        self.ws.append(styled_row(self.ws, self.row, values, font, fill, formats, links, wrap))

    def _close(self) -> None:
        last = get_column_letter(self.columns)
        self.ws.auto_filter.ref = f"A1:{last}{max(self.row, 1)}"

    def close(self) -> None:
        self._close()


class External(str):
    """A link to a file beside the workbook (a relative path), not to a place in it."""


class Formula(str):
    """A formula of our own (e.g. days left to a deadline), the only text written as one;
    `{row}` in it stands for the row it is written in."""


# Text that a spreadsheet could take for a formula or a command (report text is data).
RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def cell_for(ws, value):
    """`value` as data: text stays text (`=SUM(..)` in a title is not a formula), dates are
    dates, amounts are numbers. Plain values pass through as they are: that is what keeps a
    sheet of a few hundred thousand rows fast."""
    if isinstance(value, Formula):
        return WriteOnlyCell(ws, value=str(value))
    if isinstance(value, str):
        if value.startswith(RISKY_START) or ILLEGAL_CHARACTERS_RE.search(value):
            cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
            return cell
        return value
    if isinstance(value, Decimal):
        return float(value)  # Excel stores numbers as doubles; the CSV keeps the exact text
    return value  # numbers, and dates (openpyxl stores those as dates)


def _styled(ws, value) -> Cell:
    cell = cell_for(ws, value)
    return cell if isinstance(cell, Cell) else WriteOnlyCell(ws, value=cell)


# Per workbook: (font, fill, number format) -> the style array they make. Setting a font or a
# fill on a cell hashes the style object each time, which dominated writing a large sheet; the
# key holds the objects themselves so that their ids stay theirs.
_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _style(ws, font, fill, number_format: str | None, wrap: bool = False) -> StyleArray:
    cache = _STYLES.setdefault(ws.parent, {})
    key = (id(font), id(fill), number_format, wrap)
    hit = cache.get(key)
    if hit is None:
        cell = WriteOnlyCell(ws)
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        if number_format:
            cell.number_format = number_format
        if wrap:
            cell.alignment = WRAP
        hit = cache[key] = (font, fill, cell._style)
    return StyleArray(hit[2])


def styled_row(
    ws,
    row: int,
    values: list,
    font=None,
    fill=None,
    formats: dict[int, str] | None = None,
    links: dict[int, str] | None = None,
    wrap: frozenset[int] = frozenset(),
) -> list[Cell]:
    """Cells for sheet row `row`: one font and fill for all, a number format or a link (to a
    place in the workbook, or an `External` file) per column, text wrapped in the `wrap`
    columns. Dates without a format are shown as yyyy-mm-dd."""
    cells = []
    for n, value in enumerate(values):
        if isinstance(value, Formula):
            value = Formula(value.replace("{row}", str(row)))
        cell = _styled(ws, value)
        number_format = formats.get(n) if formats else None
        if number_format is None and isinstance(value, dt.date):
            number_format = DATE_FORMAT if not isinstance(value, dt.datetime) else None
        link = links.get(n) if links else None
        if isinstance(link, External):
            cell.hyperlink = Hyperlink(ref=f"{get_column_letter(n + 1)}{row}", target=str(link))
        elif link:
            cell.hyperlink = Hyperlink(ref=f"{get_column_letter(n + 1)}{row}", location=link)
        wrapped = n in wrap
        if font or fill or number_format or link or wrapped:
            cell._style = _style(
                ws, LINK if link else font, fill, number_format or _kept(cell), wrapped
            )
        cells.append(cell)
    return cells


def _kept(cell) -> str | None:
    """The number format openpyxl gave the cell for its value (a time's), if any."""
    return cell.number_format if cell.has_style else None


_ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d$")


def _plain(value):
    """JSON values back to cell values: dates as dates, numbers as numbers, text as text."""
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return dt.date.fromisoformat(value)
        if _ISO_TIME.match(value):
            return dt.datetime.fromisoformat(value)
    return value
