"""One fetch: ask Amazon for every report range the folder lacks, wait for them, download each
to its own file, list and download the new settlements, and save the inbound shipments."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.fetch.amazon import Amazon, Refused
from auditor.fetch.errors import FetchError
from auditor.fetch.manifest import PARTIAL_DIR, Manifest, Pending
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
    today = today or dt.date.today()
    sleep = sleep or time.sleep
    reports_dir.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.load(reports_dir, marketplace)
    since = since or manifest.since or until - dt.timedelta(days=DEFAULT_HISTORY_DAYS)
    if since > until:
        raise FetchError(f"--since {since} is after --until {until}")
    manifest.set_since(since)
    by_report = {spec.report: spec for spec in specs()}
    outcome = Outcome()
    partial_dir = reports_dir / PARTIAL_DIR

    def download(spec: Spec, document_id: str, name: str, label: str) -> None:
        target = reports_dir / name
        size = amazon.download(document_id, target, partial_dir / Path(name).name)
        outcome.files.append(name)
        outcome.bytes += size
        say(f"{label}: {name} ({size:,} bytes)")

    # 1. Ask for every range not in the folder nor already being prepared.
    asked = {p.report_id for p in manifest.pending()}
    for spec in specs():
        if spec.how == "range":
            first = since
            if spec.history_days and first < until - dt.timedelta(days=spec.history_days):
                first = until - dt.timedelta(days=spec.history_days)
                outcome.notes.append(
                    f"{spec.report}: Amazon keeps {spec.history_days} days; fetched from {first}"
                )
            held = manifest.spans(spec.report) + [
                _pending_span(p, today) for p in manifest.pending() if p.report == spec.report
            ]
            ranges = chunks(
                missing(held, first, until, spec.settle_days, today), spec.days_per_request
            )
        elif spec.how == "snapshot":
            ranges = [] if until.isoformat() in manifest.snapshots(spec.report) else [(None, None)]
            if any(p.report == spec.report for p in manifest.pending()):
                ranges = []
        else:
            continue
        for start, end in ranges:
            label = _label(spec, start, end)
            try:
                report_id = amazon.create_report(spec.report_type, start, end)
            except Refused as refused:
                if spec.optional:
                    outcome.notes.append(f"{spec.report}: not offered by Amazon ({refused.reason})")
                else:
                    outcome.failed.append(f"{label}: {refused.reason}")
                say(f"{label}: Amazon refused the request ({refused.reason})")
                break  # the other ranges of a refused report type fare no better
            manifest.add_pending(Pending(spec.report, report_id, start, end, until))
            manifest.save()
            asked.add(report_id)
            say(f"{label}: requested (report {report_id})")

    # 2. Wait for each until Amazon is done with it; download it.
    deadline = time.monotonic() + wait_minutes * 60
    polls = 0
    while manifest.pending():
        for pending in manifest.pending():
            spec = by_report[pending.report]
            label = _label(spec, pending.start, pending.end)
            report = amazon.report(pending.report_id)
            if report.status in ("IN_QUEUE", "IN_PROGRESS"):
                continue
            if report.status == "DONE" and report.document_id:
                if spec.how == "snapshot":
                    day = (report.created or dt.datetime.now(dt.UTC)).date()
                    name = spec.file_name(marketplace, day)
                else:
                    name = spec.file_name(marketplace, pending.start, pending.end)
                download(spec, report.document_id, name, label)
            elif report.status in ("DONE", "DONE_NO_DATA", "CANCELLED"):
                why = "DONE_NO_DATA" if report.status != "CANCELLED" else "CANCELLED"
                outcome.no_data.append(label)
                say(f"{label}: {why}, Amazon has no data for it")
            else:  # FATAL, or a status this code does not know
                reason = ""
                if report.document_id:
                    try:
                        reason = amazon.error_text(report.document_id)
                    except FetchError:
                        reason = ""
                text = f"{report.status or 'no status'}" + (f" ({reason})" if reason else "")
                outcome.failed.append(f"{label}: {text}")
                say(f"{label}: {text}; Amazon could not make it, the next fetch asks again")
                manifest.drop_pending(pending.report_id)
                manifest.save()
                continue
            if spec.how == "snapshot":
                manifest.snapshots(spec.report).append(pending.requested_on.isoformat())
            else:
                manifest.cover(spec.report, pending.start, pending.end, today)
            manifest.drop_pending(pending.report_id)
            manifest.save()
        if not manifest.pending():
            break
        if time.monotonic() > deadline:
            for pending in manifest.pending():
                outcome.waiting.append(
                    _label(by_report[pending.report], pending.start, pending.end)
                )
            say(
                f"{len(outcome.waiting)} reports are still in Amazon's queue; run fetch again "
                "later to collect them (they are not asked for twice)"
            )
            break
        sleep(POLL_SECONDS[min(polls, len(POLL_SECONDS) - 1)])
        polls += 1

    # 3. Settlements: Amazon makes them on its own schedule and keeps them 90 days.
    spec = by_report["settlement"]
    first = max(since, until - dt.timedelta(days=spec.history_days - 1))
    unlisted = missing(manifest.spans("settlement"), since, first - dt.timedelta(days=1), 0, today)
    if unlisted:
        outcome.notes.append(
            f"settlements: Amazon lists those of the last {spec.history_days} days; for any "
            f"before {first}, download them from Payments > All statements"
        )
    downloaded = manifest.settlements()
    listed = amazon.reports(
        spec.report_type,
        dt.datetime.combine(first, dt.time(), dt.UTC),
        dt.datetime.combine(until, dt.time(23, 59, 59), dt.UTC),
    )
    for report in listed:
        if report.report_id in downloaded or not report.document_id:
            continue
        start = report.start or (report.created or dt.datetime.now(dt.UTC)).date()
        name = spec.file_name(marketplace, start, report.end).replace(
            f".{spec.extension}", f"-{report.report_id}.{spec.extension}"
        )
        download(spec, report.document_id, name, f"settlement {report.start} to {report.end}")
        downloaded[report.report_id] = name
        manifest.save()
    manifest.cover("settlement", first, until, today)
    manifest.save()

    # 4. Inbound shipments and their items.
    spec = by_report["inbound"]
    for start, end in missing(manifest.spans("inbound"), since, until, spec.settle_days, today):
        label = f"inbound shipments updated {start} to {end}"
        rows = []
        for shipment in amazon.shipments(start, end):
            for item in amazon.shipment_items(shipment["ShipmentId"]):
                rows.append(
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
                )
        if rows:
            name = spec.file_name(marketplace, start, end)
            size = _write_csv(reports_dir / name, partial_dir / Path(name).name, rows)
            outcome.files.append(name)
            outcome.bytes += size
            say(f"{label}: {name} ({len(rows):,} shipment items)")
        else:
            outcome.no_data.append(label)
            say(f"{label}: none")
        manifest.cover("inbound", start, end, today)
        manifest.save()

    shutil.rmtree(partial_dir, ignore_errors=True)
    return outcome


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
