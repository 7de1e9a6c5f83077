"""What stops a file from loading: one line naming what is wrong and what to do."""

from __future__ import annotations

import re

import duckdb


class LoadError(Exception):
    """A file that cannot be loaded. The message is one line: what is wrong and what to do."""


def duckdb_message(error: duckdb.Error) -> str:
    """DuckDB's error as one line, led by the file's line number when DuckDB names one."""
    text = " ".join(str(error).split())
    line = re.search(r"[Ll]ine:? (\d+)", text)
    first = text.split(". ")[0][:200]
    return f"line {line.group(1)}: {first}" if line else first
