"""The manifest a fetch keeps in the reports folder (`.fba-audit-fetch.json`, hidden, so the
loader never reads it): per marketplace, which days of each report are in the folder, the
requests Amazon is still preparing, the settlements and fee-preview snapshots downloaded.
It is rewritten whole (temporary file, then rename) after every report, so a killed fetch
loses at most the report it was on."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from auditor.fetch.errors import FetchError
from auditor.fetch.plan import Span

NAME = ".fba-audit-fetch.json"
PARTIAL_DIR = ".fetching"
LOCK_NAME = ".fba-audit-fetch.lock"
VERSION = 1


@dataclass
class Pending:
    report: str
    report_id: str
    start: dt.date | None
    end: dt.date | None
    requested_on: dt.date  # the --until day of the fetch that asked (a snapshot's day)
    asked_on: dt.date | None = None  # the day it was asked for: its data runs to that day


@dataclass
class Manifest:
    path: Path
    marketplace: str
    data: dict = field(default_factory=dict)

    @classmethod
    def load(cls, reports_dir: Path, marketplace: str) -> Manifest:
        path = reports_dir / NAME
        data = {"version": VERSION, "marketplaces": {}}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise FetchError(
                    f"{path}: the fetch manifest is damaged; delete it and fetch again (files "
                    "already in the folder are loaded once however often they are fetched)"
                ) from None
        data.setdefault("marketplaces", {}).setdefault(
            marketplace,
            {"since": None, "covered": {}, "pending": [], "settlements": {}, "snapshots": {}},
        )
        return cls(path, marketplace, data)

    @property
    def _mine(self) -> dict:
        return self.data["marketplaces"][self.marketplace]

    @property
    def since(self) -> dt.date | None:
        value = self._mine.get("since")
        return dt.date.fromisoformat(value) if value else None

    def set_since(self, day: dt.date) -> None:
        if self.since is None or day < self.since:
            self._mine["since"] = day.isoformat()

    def spans(self, report: str) -> list[Span]:
        return [
            Span(*(dt.date.fromisoformat(s[k]) for k in ("start", "end", "fetched_on")))
            for s in self._mine["covered"].get(report, [])
        ]

    def cover(self, report: str, start: dt.date, end: dt.date, today: dt.date) -> None:
        self._mine["covered"].setdefault(report, []).append(
            {"start": start.isoformat(), "end": end.isoformat(), "fetched_on": today.isoformat()}
        )

    def pending(self) -> list[Pending]:
        return [
            Pending(
                p["report"],
                p["report_id"],
                dt.date.fromisoformat(p["start"]) if p["start"] else None,
                dt.date.fromisoformat(p["end"]) if p["end"] else None,
                dt.date.fromisoformat(p["requested_on"]),
                dt.date.fromisoformat(p.get("asked_on") or p["requested_on"]),
            )
            for p in self._mine["pending"]
        ]

    def add_pending(self, pending: Pending) -> None:
        self._mine["pending"].append(
            {
                "report": pending.report,
                "report_id": pending.report_id,
                "start": pending.start.isoformat() if pending.start else None,
                "end": pending.end.isoformat() if pending.end else None,
                "requested_on": pending.requested_on.isoformat(),
                "asked_on": (pending.asked_on or pending.requested_on).isoformat(),
            }
        )

    def drop_pending(self, report_id: str) -> None:
        self._mine["pending"] = [p for p in self._mine["pending"] if p["report_id"] != report_id]

    def settlements(self) -> dict[str, str]:
        return self._mine["settlements"]

    def snapshots(self, report: str) -> list[str]:
        return self._mine["snapshots"].setdefault(report, [])

    def save(self) -> None:
        partial = self.path.with_name(self.path.name + ".part")
        partial.write_text(json.dumps(self.data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(partial, self.path)
