"""Recognise a downloaded file from its first bytes: encoding, delimiter, quoting, header line,
and which report it is."""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass

from auditor.reports import Column, Report, identify

SAMPLE_BYTES = 1 << 20
HEADER_SEARCH_LINES = 30  # Date Range reports put 6-7 preamble lines above the header

_CURRENCY_RE = re.compile(r"\b(USD|CAD|MXN|BRL|GBP|EUR|SEK|PLN|TRY|JPY|AUD|INR|AED|SGD)\b")


@dataclass(frozen=True)
class Sniffed:
    report: Report
    mapping: dict[int, Column]  # header position -> canonical column
    header: list[str]
    encoding: str  # python codec name
    delimiter: str
    quoted: bool  # fields may be wrapped in double quotes
    header_line: int  # 1-based line number of the header
    preamble: str  # text above the header (Date Range reports say their currency there)

    @property
    def preamble_currency(self) -> str | None:
        match = _CURRENCY_RE.search(self.preamble)
        return match.group(1) if match else None


class NotAReport(Exception):
    """The file is none of the reports we read."""


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16, Shift_JIS or Windows-1252, judged from the bytes."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) > 3 and sample[1] == 0 and sample[3] == 0 and sample[0] != 0:
        return "utf-16-le"
    if len(sample) > 3 and sample[0] == 0 and sample[2] == 0 and sample[1] != 0:
        return "utf-16-be"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the end of the sample is still UTF-8.
        if error.start >= len(sample) - 3 and error.reason == "unexpected end of data":
            return "utf-8"
    if _looks_like_shift_jis(sample):
        return "cp932"
    return "cp1252"


def _looks_like_shift_jis(sample: bytes) -> bool:
    try:
        text = sample.decode("cp932")
    except UnicodeDecodeError:
        return False
    # Real Japanese text, not Western accents that happen to form valid Shift_JIS pairs.
    kana_kanji = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff")
    high = sum(1 for b in sample if b >= 0x80)
    return kana_kanji > 0 and kana_kanji * 2 >= high * 0.5


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []


def sniff(sample: bytes, name: str, encoding: str | None = None) -> Sniffed:
    """Identify the report in `sample` (the start of a file); raise NotAReport when it is none.

    `encoding` overrides detection (the user's --encoding)."""
    encoding = encoding or detect_encoding(sample)
    if not encoding.startswith("utf-16"):
        # Look for a header only in the text before any binary data; a report with garbage
        # further down is still that report (and the loader refuses it, naming the line).
        sample = sample.split(b"\x00", 1)[0]
    text = sample.decode(encoding, errors="replace")
    # Only \n ends a line here, as for DuckDB's reader; a title may hold other separators.
    lines = [line.rstrip("\r") for line in text.split("\n", HEADER_SEARCH_LINES)]
    lines = lines[:HEADER_SEARCH_LINES]
    for index, line in enumerate(lines):
        delimiter = "\t" if line.count("\t") >= max(1, line.count(",")) else ","
        if delimiter == "," and line.count(",") == 0:
            continue
        header = _split(line, delimiter)
        found = identify(header)
        if found is None:
            continue
        report, mapping = found
        quoted = delimiter == "," or line.lstrip("\ufeff").startswith('"')
        return Sniffed(
            report=report,
            mapping=mapping,
            header=[h.strip().lstrip("\ufeff") for h in header],
            encoding=encoding,
            delimiter=delimiter,
            quoted=quoted,
            header_line=index + 1,
            preamble="\n".join(lines[:index]),
        )
    raise NotAReport(name)
