"""Wall time and peak memory of each stage of a run (ingest, rules, findings, workbook).

`fba-audit run --timings FILE` writes them as JSON; `python -m bench` reads that file. A stage
entered twice adds up. Memory is the process's resident set (DuckDB's buffers included): a
stage's peak is sampled every 20 ms while it runs, and the process's peak is the kernel's own
high-water mark.
"""

from __future__ import annotations

import json
import os
import resource
import threading
import time
from contextlib import contextmanager
from pathlib import Path

_times: dict[str, float] = {}
_peaks: dict[str, int] = {}
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """The process's resident memory now, in bytes."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextmanager
def stage(name: str):
    peak = [rss_bytes()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
        peak[0] = max(peak[0], rss_bytes())
        _times[name] = _times.get(name, 0.0) + elapsed
        _peaks[name] = max(_peaks.get(name, 0), peak[0])


def write(path: Path) -> None:
    """Write the stages seen so far, and the process's peak over its whole life."""
    report = {
        "stages": {
            name: {"seconds": round(seconds, 3), "peak_rss_bytes": _peaks[name]}
            for name, seconds in _times.items()
        },
        "process_peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    Path(path).write_text(json.dumps(report, indent=2) + "\n")
