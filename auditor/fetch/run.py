"""One fetch: ask Amazon for every report range the folder lacks, wait for them, download each
to its own file, list and download the new settlements, and save the inbound shipments."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.fetch.amazon import Amazon, Gone, Refused
from auditor.fetch.errors import FetchError
from auditor.fetch.manifest import LOCK_NAME, PARTIAL_DIR, Manifest, Pending
from auditor.fetch.plan import Span, Spec, chunks, missing, specs
from auditor.reports import INBOUND_API_FIELDS

# Seconds between two looks at the reports Amazon is preparing: growing, then steady.
POLL_SECONDS = (5, 10, 15, 30, 60)
# How long one fetch waits for Amazon's queue before leaving the rest for the next fetch.
DEFAULT_WAIT_MINUTES = 60
# How far back a first fetch goes when --since is not given.
DEFAULT_HISTORY_DAYS = 548


@dataclass
class Outcome:
    """What a fetch did, report by report."""

    files: list[str] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bytes: int = 0

    @property
    def complete(self) -> bool:
        return not self.failed and not self.waiting


def _label(spec: Spec, start: dt.date | None, end: dt.date | None) -> str:
    title = spec.name.replace("-", " ")
    if start is None:
        return title
    days = start.isoformat() if end in (None, start) else f"{start} to {end}"
    return f"{title} {days}"


def fetch_reports(
    amazon: Amazon,
    reports_dir: Path,
    marketplace: str,
    until: dt.date,
    since: dt.date | None = None,
    say: Callable[[str], None] = lambda line: None,
    sleep: Callable[[float], None] | None = None,
    wait_minutes: float = DEFAULT_WAIT_MINUTES,
    today: dt.date | None = None,
) -> Outcome:
    """Bring `reports_dir` up to date with Amazon for [since, until]; `say` gets a line per
    report. Raises FetchError when it cannot go on at all (credentials, network)."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    with _only_fetch(reports_dir):
        return _fetch(
            amazon, reports_dir, marketplace, until, since, say, sleep, wait_minutes, today
        )


@contextlib.contextmanager
def _only_fetch(reports_dir: Path):
    """One fetch into a folder at a time: two would each rewrite the other's manifest."""
    with open(reports_dir / LOCK_NAME, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FetchError(
                f"{reports_dir}: another fetch is running into this folder; wait for it to finish"
            ) from None
        yield


def _fetch(amazon, reports_dir, marketplace, until, since, say, sleep, wait_minutes, today):
    manifest = Manifest.load(reports_dir, marketplace)
    since = since or manifest.since or until - dt.timedelta(days=DEFAULT_HISTORY_DAYS)
    if since > until:
        raise FetchError(f"--since {since} is after --until {until}")
    manifest.set_since(since)
    fetch = _Fetch(amazon, reports_dir, marketplace, manifest, since, until, today, say)
    fetch.request()
    fetch.collect(wait_minutes, sleep or time.sleep)
    for step, what in ((fetch.settlements, "settlements"), (fetch.inbound, "inbound shipments")):
        try:
            step()
        except Refused as refused:
            fetch.outcome.failed.append(f"{what}: {refused.reason}")
            say(f"{what}: Amazon refused the request ({refused.reason})")
    shutil.rmtree(reports_dir / PARTIAL_DIR, ignore_errors=True)
    return fetch.outcome


class _Fetch:
    """The steps of one fetch, sharing the folder, the manifest and the outcome."""

    def __init__(self, amazon, reports_dir, marketplace, manifest, since, until, today, say):
        self.amazon, self.reports_dir, self.marketplace = amazon, reports_dir, marketplace
        self.manifest, self.since, self.until = manifest, since, until
        self.today = today or dt.date.today()
        self.say = say
        self.outcome = Outcome()
        self.specs = {spec.report: spec for spec in specs()}

    def _partial(self, name: str) -> Path:
        """Where a file is written until it is whole (hidden from the loader)."""
        return self.reports_dir / PARTIAL_DIR / Path(name).name

    def download(self, document_id: str, name: str, label: str) -> None:
        size = self.amazon.download(document_id, self.reports_dir / name, self._partial(name))
        self.outcome.files.append(name)
        self.outcome.bytes += size
        self.say(f"{label}: {name} ({size:,} bytes)")

    def _ranges(self, spec: Spec) -> list[tuple[dt.date | None, dt.date | None]]:
        """The requests a report needs: the ranges not held nor being prepared, or today's
        snapshot when the folder has none for this day."""
        pending = [p for p in self.manifest.pending() if p.report == spec.report]
        if spec.how == "snapshot":
            taken = self.until.isoformat() in self.manifest.snapshots(spec.report)
            return [] if taken or pending else [(None, None)]
        first = self.since
        if spec.history_days and first < self.until - dt.timedelta(days=spec.history_days):
            first = self.until - dt.timedelta(days=spec.history_days)
            self.outcome.notes.append(
                f"{spec.report}: Amazon keeps {spec.history_days} days; fetched from {first}"
            )
        held = self.manifest.spans(spec.report) + [_pending_span(p, self.today) for p in pending]
        gaps = missing(held, first, self.until, spec.settle_days, self.today)
        return chunks(gaps, spec.days_per_request)

    def request(self) -> None:
        """1. Ask for every range not in the folder nor already being prepared."""
        for spec in specs():
            if spec.how not in ("range", "snapshot"):
                continue
            for start, end in self._ranges(spec):
                label = _label(spec, start, end)
                try:
                    report_id = self.amazon.create_report(spec.report_type, start, end)
                except Refused as refused:
                    if spec.optional:
                        self.outcome.notes.append(
                            f"{spec.report}: not offered by Amazon ({refused.reason})"
                        )
                    else:
                        self.outcome.failed.append(f"{label}: {refused.reason}")
                    self.say(f"{label}: Amazon refused the request ({refused.reason})")
                    break  # the other ranges of a refused report type fare no better
                self.manifest.add_pending(
                    Pending(spec.report, report_id, start, end, self.until, self.today)
                )
                self.manifest.save()
                self.say(f"{label}: requested (report {report_id})")

    def collect(self, wait_minutes: float, sleep: Callable[[float], None]) -> None:
        """2. Look at each request until Amazon is done with it, and download it."""
        deadline = time.monotonic() + wait_minutes * 60
        polls = 0
        while self.manifest.pending():
            for pending in self.manifest.pending():
                self._look(pending)
            if not self.manifest.pending():
                break
            if time.monotonic() > deadline:
                for pending in self.manifest.pending():
                    spec = self.specs[pending.report]
                    self.outcome.waiting.append(_label(spec, pending.start, pending.end))
                self.say(
                    f"{len(self.outcome.waiting)} reports are still in Amazon's queue; run "
                    "fetch again later to collect them (they are not asked for twice)"
                )
                return
            sleep(POLL_SECONDS[min(polls, len(POLL_SECONDS) - 1)])
            polls += 1

    def _look(self, pending: Pending) -> None:
        spec = self.specs[pending.report]
        label = _label(spec, pending.start, pending.end)
        try:
            report = self.amazon.report(pending.report_id)
        except Gone:
            self.outcome.failed.append(f"{label}: Amazon no longer has report {pending.report_id}")
            self.say(f"{label}: Amazon no longer has this request; the next fetch asks again")
            self.manifest.drop_pending(pending.report_id)
            self.manifest.save()
            return
        if report.status in ("IN_QUEUE", "IN_PROGRESS"):
            return
        if report.status == "DONE" and report.document_id:
            if spec.how == "snapshot":  # named by the fetch's day, as an audit's days are
                name = spec.file_name(self.marketplace, pending.requested_on)
            else:
                name = spec.file_name(self.marketplace, pending.start, pending.end)
            self.download(report.document_id, name, label)
        elif report.status in ("DONE_NO_DATA", "CANCELLED"):
            why = "CANCELLED" if report.status == "CANCELLED" else "DONE_NO_DATA"
            self.outcome.no_data.append(label)
            self.say(f"{label}: {why}, Amazon has no data for it")
        else:  # FATAL, or a status this code does not know: asked again by the next fetch
            reason = ""
            if report.document_id:
                try:
                    reason = self.amazon.error_text(report.document_id)
                except FetchError:
                    reason = ""
            text = f"{report.status or 'no status'}" + (f" ({reason})" if reason else "")
            self.outcome.failed.append(f"{label}: {text}")
            self.say(f"{label}: {text}; Amazon could not make it, the next fetch asks again")
            self.manifest.drop_pending(pending.report_id)
            self.manifest.save()
            return
        if spec.how == "snapshot":
            self.manifest.snapshots(spec.report).append(pending.requested_on.isoformat())
        else:
            asked = pending.asked_on or self.today
            self.manifest.cover(spec.report, pending.start, pending.end, asked)
        self.manifest.drop_pending(pending.report_id)
        self.manifest.save()

    def settlements(self) -> None:
        """3. The settlements Amazon generated on its own schedule (kept 90 days)."""
        spec = self.specs["settlement"]
        first = max(self.since, self.until - dt.timedelta(days=spec.history_days - 1))
        before = first - dt.timedelta(days=1)
        if missing(self.manifest.spans("settlement"), self.since, before, 0, self.today):
            self.outcome.notes.append(
                f"settlements: Amazon lists those of the last {spec.history_days} days; for "
                f"any before {first}, download them from Payments > All statements"
            )
        downloaded = self.manifest.settlements()
        listed = self.amazon.reports(
            spec.report_type,
            dt.datetime.combine(first, dt.time(), dt.UTC),
            dt.datetime.combine(self.until, dt.time(23, 59, 59), dt.UTC),
        )
        for report in listed:
            if report.report_id in downloaded or not report.document_id:
                continue
            start = report.start or (report.created or dt.datetime.now(dt.UTC)).date()
            name = spec.file_name(self.marketplace, start, report.end).replace(
                f".{spec.extension}", f"-{report.report_id}.{spec.extension}"
            )
            self.download(report.document_id, name, f"settlement {report.start} to {report.end}")
            downloaded[report.report_id] = name
            self.manifest.save()
        self.manifest.cover("settlement", first, self.until, self.today)
        self.manifest.save()

    def inbound(self) -> None:
        """4. Inbound shipments updated in the days not held, with their items."""
        spec = self.specs["inbound"]
        spans = self.manifest.spans("inbound")
        for start, end in missing(spans, self.since, self.until, spec.settle_days, self.today):
            label = f"inbound shipments updated {start} to {end}"
            rows = [
                (
                    shipment["ShipmentId"],
                    shipment.get("ShipmentName", ""),
                    shipment.get("ShipmentStatus", ""),
                    item.get("SellerSKU", ""),
                    item.get("FulfillmentNetworkSKU", ""),
                    item.get("QuantityShipped", ""),
                    item.get("QuantityReceived", ""),
                    item.get("QuantityInCase", ""),
                )
                for shipment in self.amazon.shipments(start, end)
                for item in self.amazon.shipment_items(shipment["ShipmentId"])
            ]
            if rows:
                name = spec.file_name(self.marketplace, start, end)
                size = _write_csv(self.reports_dir / name, self._partial(name), rows)
                self.outcome.files.append(name)
                self.outcome.bytes += size
                self.say(f"{label}: {name} ({len(rows):,} shipment items)")
            else:
                self.outcome.no_data.append(label)
                self.say(f"{label}: none")
            self.manifest.cover("inbound", start, end, self.today)
            self.manifest.save()


def _pending_span(pending: Pending, today: dt.date) -> Span:
    return Span(pending.start, pending.end, today)


def _write_csv(target: Path, partial: Path, rows: list[tuple]) -> int:
    partial.parent.mkdir(parents=True, exist_ok=True)
    with open(partial, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(INBOUND_API_FIELDS)
        writer.writerows(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    size = partial.stat().st_size
    partial.replace(target)
    return size
