"""One streaming pass over a file before DuckDB reads it: its SHA-256 (which tells a file already
loaded), a check for binary garbage, and, only where DuckDB cannot read it as it is, a UTF-8 copy
(other encodings, blank lines) made when the file is new."""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from auditor.sniff import Sniffed

CHUNK = 8 << 20
NEWLINE = b"\n"


class PrepareError(Exception):
    """The file's bytes cannot be read as text; the message says where."""


@dataclass(frozen=True)
class Scanned:
    sha256: str
    copy: bool  # DuckDB cannot read the file as it is: read a UTF-8 copy instead


def scan(path: Path, sniffed: Sniffed) -> Scanned:
    """Hash the file and decide, in the same pass, whether DuckDB can read it directly.

    A blank line inside a file would shift DuckDB's row numbers against the file's lines (it skips
    blank lines), so such files are copied with each blank line made an empty row, which the
    loader drops: every loaded row keeps its true line number."""
    utf8 = sniffed.encoding in ("utf-8", "utf-8-sig")
    digest = hashlib.sha256()
    blank_line = False
    tail = b""
    lines = 1
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            if utf8:
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    at = lines + chunk.count(NEWLINE, 0, nul)
                    raise PrepareError(
                        f"line {at}: binary data (a NUL byte); "
                        "this is not a text report — download it again"
                    )
                lines += chunk.count(b"\n")
                window = tail + chunk
                # A blank line only matters when more data follows it.
                if not blank_line and re.search(rb"\n\r?\n[^\r\n]", window):
                    blank_line = True
                tail = window[-3:]
            elif not blank_line:
                blank_line = True  # any non-UTF-8 file is copied anyway
    return Scanned(digest.hexdigest(), copy=not (utf8 and not blank_line))


def readable(path: Path, sniffed: Sniffed, scanned: Scanned, workdir: Path) -> Path:
    """What DuckDB reads: the file itself, or its UTF-8 copy in `workdir`."""
    if not scanned.copy:
        return path
    target = workdir / f"{scanned.sha256[:16]}.utf8"
    _copy_as_utf8(path, target, sniffed)
    return target


def _copy_as_utf8(path: Path, target: Path, sniffed: Sniffed) -> None:
    decoder = codecs.getincrementaldecoder(sniffed.encoding)(errors="strict")
    empty_row = sniffed.delimiter * (len(sniffed.header) - 1)
    line = 1
    carry = ""
    with open(path, "rb") as src, open(target, "w", encoding="utf-8", newline="") as out:
        while True:
            chunk = src.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                bad_line = line + (
                    carry + error.object[: error.start].decode(sniffed.encoding, errors="replace")
                ).count("\n")
                raise PrepareError(
                    f"line {bad_line}: byte {error.object[error.start]:#04x} is not valid "
                    f"{sniffed.encoding} text; re-download the report or save it as UTF-8"
                ) from None
            if "\x00" in text:
                raise PrepareError(
                    f"line {line + (carry + text[: text.index(chr(0))]).count(chr(10))}: binary "
                    "data (a NUL character); this is not a text report — download it again"
                )
            block = carry + text
            if chunk:
                cut = block.rfind("\n")
                if cut < 0:
                    carry = block
                    continue
                block, carry = block[:cut], block[cut:]
            else:
                carry = ""
            out.write(re.sub(r"\n(?=\r?\n)", "\n" + empty_row, block))
            line += block.count("\n")
            if not chunk:
                break
