"""The speed benchmark: `python -m bench` (see bench/__main__.py and BENCHMARKS.md)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path


def generated(folder: Path, make: Callable[[Path], None]) -> bool:
    """Have `make` write `folder` unless a whole one is kept from before (a `.complete` file marks
    it whole); True when it was made now."""
    done = folder / ".complete"
    if done.exists():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    make(folder)
    done.write_text("complete\n")
    return True


def mib(n: int) -> str:
    """`n` bytes as whole MiB, for the document."""
    return f"{n / (1 << 20):,.0f} MiB"
