"""Find the files in a reports folder: nested folders, `.gz` downloads and `.zip` archives
(nested zips too), unpacked into a private work folder so nothing escapes it."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_UNPACKED_BYTES = 32 << 30  # one archive may unpack to 32 GiB at most
MAX_RATIO = 200  # and no member may be more than 200x its compressed size when over 1 MiB
MAX_NESTING = 3
SKIPPED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


class SourceError(Exception):
    """A file or archive that cannot be opened; the message names it and says what to do."""


@dataclass(frozen=True)
class Source:
    name: str  # what the seller sees: a path below the reports folder, `a.zip!inner.txt`
    path: Path  # a readable local file with the report's bytes (unpacked when needed)
    mtime: float


def iter_sources(
    root: Path, workdir: Path, exclude: tuple[Path, ...] = ()
) -> Iterator[Source | SourceError]:
    """Every report-like file below `root`, in a stable order; archives are unpacked to `workdir`.

    `exclude` names files never to read (the database itself, when it lives in the folder).
    Errors are yielded, not raised, so that one bad archive never stops the others."""
    root = Path(root)
    excluded = {p.resolve() for p in exclude}
    if root.is_file():
        yield from _expand(root, root.name, workdir, 0)
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for filename in sorted(filenames):
            if filename in SKIPPED_NAMES or filename.startswith((".", "~$")):
                continue
            path = Path(dirpath) / filename
            if path.resolve() in excluded:
                continue
            if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
                yield SourceError(f"{path}: link points outside the reports folder; skipped")
                continue
            yield from _expand(path, path.relative_to(root).as_posix(), workdir, 0)


def _expand(path: Path, name: str, workdir: Path, depth: int) -> Iterator[Source | SourceError]:
    lower = name.lower()
    if lower.endswith(".zip") or _is_zip(path):
        if depth >= MAX_NESTING:
            yield SourceError(f"{name}: archives nested more than {MAX_NESTING} deep; unpack it")
            return
        yield from _expand_zip(path, name, workdir, depth)
    elif lower.endswith(".gz") or _is_gzip(path):
        target = _private_path(workdir, name.removesuffix(".gz"))
        try:
            with gzip.open(path, "rb") as packed, open(target, "wb") as out:
                _copy_limited(packed, out, name)
        except (OSError, EOFError) as error:
            yield SourceError(f"{name}: not a readable .gz file ({error}); download it again")
            return
        except SourceError as error:
            yield error
            return
        yield from _expand(target, name.removesuffix(".gz"), workdir, depth + 1)
    else:
        yield Source(name, path, path.stat().st_mtime)


def _expand_zip(path: Path, name: str, workdir: Path, depth: int) -> Iterator[Source | SourceError]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        yield SourceError(f"{name}: not a readable zip archive ({error}); download it again")
        return
    with archive:
        members = sorted(
            (m for m in archive.infolist() if not m.is_dir()), key=lambda m: m.filename
        )
        declared = sum(m.file_size for m in members)
        if declared > MAX_UNPACKED_BYTES:
            yield SourceError(
                f"{name}: would unpack to {declared:,} bytes, over the "
                f"{MAX_UNPACKED_BYTES:,} limit; refused (unpack what you need by hand)"
            )
            return
        for member in members:
            member_name = f"{name}!{member.filename}"
            base = Path(member.filename).name
            if not base or base in SKIPPED_NAMES or member.filename.startswith("__MACOSX/"):
                continue
            if member.file_size > (1 << 20) and member.file_size > MAX_RATIO * max(
                member.compress_size, 1
            ):
                yield SourceError(
                    f"{member_name}: compressed {member.file_size // max(member.compress_size, 1)}"
                    f" to 1, like a zip bomb; refused"
                )
                continue
            # The member's own path is never used to write: only a fresh private file name.
            target = _private_path(workdir, base)
            try:
                with archive.open(member) as packed, open(target, "wb") as out:
                    _copy_limited(packed, out, member_name, limit=member.file_size)
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                yield SourceError(f"{member_name}: cannot be unpacked ({error}); skipped")
                continue
            except SourceError as error:
                yield error
                continue
            mtime = _zip_mtime(member)
            os.utime(target, (mtime, mtime))
            yield from _expand(target, member_name, workdir, depth + 1)


def _copy_limited(src, dst, name: str, limit: int = MAX_UNPACKED_BYTES) -> None:
    written = 0
    while chunk := src.read(1 << 20):
        written += len(chunk)
        if written > limit:
            raise SourceError(f"{name}: unpacks to more than it declares; refused as unsafe")
        dst.write(chunk)


def _zip_mtime(member: zipfile.ZipInfo) -> float:
    try:
        return dt.datetime(*member.date_time).timestamp()
    except ValueError:
        return 0.0


_counter = iter(range(1 << 62))


def _private_path(workdir: Path, base: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in base)[-80:] or "file"
    target = workdir / f"{next(_counter):06d}_{safe}"
    assert target.resolve().parent == workdir.resolve()
    return target


def _magic(path: Path, n: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError:
        return b""


def _is_zip(path: Path) -> bool:
    return _magic(path, 4) == b"PK\x03\x04"


def _is_gzip(path: Path) -> bool:
    return _magic(path, 2) == b"\x1f\x8b"


def remove_workdir(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
