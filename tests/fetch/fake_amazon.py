"""A local server that plays Amazon for fetch: Login with Amazon's token endpoint, the Reports
API (createReport, getReport, getReports, getReportDocument and the pre-signed document URLs,
gzip), and the Fulfillment Inbound API (getShipments, getShipmentItemsByShipmentId).

It holds one seller's reports (the sample seller's, by default) and answers a request for a
date range with the rows of that range, as Amazon does. Its clock says what "now" is: which
settlements exist, which fee-preview snapshot Amazon would make today. Throttling, FATAL and
CANCELLED reports and paging are switched on per test."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import itertools
import json
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug import Request, Response

CLIENT_ID = "amzn1.application-oa2-client.test"
CLIENT_SECRET = "test-secret"
REFRESH_TOKEN = "Atzr|test-refresh"
ACCESS_TOKEN = "Atza|test-access"

ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)")
US_DAY = re.compile(r"(\d\d)/(\d\d)/(\d{4})")


def _iso_day(text: str) -> dt.date | None:
    found = ISO.search(text)
    return dt.date(*map(int, found.groups())) if found else None


def _us_day(text: str) -> dt.date | None:
    found = US_DAY.search(text)
    if not found:
        return None
    month, day, year = map(int, found.groups())
    return dt.date(year, month, day)


@dataclass
class Table:
    """A report's header and its data lines (bytes as Amazon sends them), each with its day."""

    header: bytes
    lines: list[tuple[dt.date, bytes]]

    def between(self, start: dt.date | None, end: dt.date | None) -> bytes | None:
        rows = [
            line
            for day, line in self.lines
            if (start is None or day >= start) and (end is None or day <= end)
        ]
        return self.header + b"".join(rows) if rows else None


def _table(paths: list[Path], column: int, parse: Callable[[str], dt.date | None]) -> Table:
    """The rows of one or more downloads of a report. Overlapping downloads hold the same day
    twice: each day is taken from the download holding most rows for it."""
    header, by_file = b"", []
    for path in paths:
        lines = path.read_bytes().splitlines(keepends=True)
        header = lines[0]
        dated = defaultdict(list)
        for line in lines[1:]:
            text = line.decode("utf-8", "replace").split("\t")
            day = parse(text[column]) if len(text) > column else None
            if day:
                dated[day].append(line)
        by_file.append(dated)
    days = sorted({day for dated in by_file for day in dated})
    rows = []
    for day in days:
        best = max((dated.get(day, []) for dated in by_file), key=len)
        rows.extend((day, line) for line in best)
    return Table(header, rows)


@dataclass
class Settlement:
    report_id: str
    start: dt.datetime
    end: dt.datetime
    created: dt.datetime
    content: bytes


@dataclass
class Seller:
    """What the fake Amazon knows of one seller."""

    tables: dict[str, Table]
    snapshots: dict[dt.date, bytes]
    settlements: list[Settlement]
    shipments: list[dict]
    items: dict[str, list[dict]]

    @classmethod
    def from_folder(cls, folder: Path) -> Seller:
        tables = {
            "GET_LEDGER_DETAIL_VIEW_DATA": _table(sorted(folder.glob("ledger/*.txt")), 0, _us_day),
            "GET_FBA_REIMBURSEMENTS_DATA": _table([folder / "reimbursements.txt"], 0, _iso_day),
            "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": _table(
                [folder / "customer-returns.txt"], 0, _iso_day
            ),
            "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": _table(
                [folder / "all-orders.txt"], 2, _iso_day
            ),
            "GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA": _table(
                [folder / "removal-order-detail.txt"], 0, _iso_day
            ),
            "GET_FBA_FULFILLMENT_INVENTORY_ADJUSTMENTS_DATA": _table(
                sorted(folder.glob("adjustments-*.txt")), 0, _iso_day
            ),
        }
        snapshots = {
            _iso_day(path.name): path.read_bytes() for path in folder.glob("fee-preview-*.txt")
        }
        settlements = []
        for path in sorted(folder.glob("settlements/*.txt")):
            content = path.read_bytes()
            first = content.splitlines()[1].decode().split("\t")
            start, end = (
                dt.datetime.strptime(first[i], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=dt.UTC)
                for i in (1, 2)
            )
            settlements.append(
                Settlement(f"5{first[0]}", start, end, end + dt.timedelta(hours=1), content)
            )
        shipments, items = {}, defaultdict(list)
        with open(folder / "inbound-shipments.csv", encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file):
                updated = row.get("ClosedDate") or _us_day(row["ShipmentName"]).isoformat()
                shipments.setdefault(
                    row["ShipmentId"],
                    {
                        "ShipmentId": row["ShipmentId"],
                        "ShipmentName": row["ShipmentName"],
                        "ShipmentStatus": row["ShipmentStatus"],
                        "DestinationFulfillmentCenterId": "PHX7",
                        "LabelPrepType": "SELLER_LABEL",
                        "_updated": dt.date.fromisoformat(updated),
                    },
                )
                items[row["ShipmentId"]].append(
                    {
                        "ShipmentId": row["ShipmentId"],
                        "SellerSKU": row["SellerSKU"],
                        "FulfillmentNetworkSKU": row["FulfillmentNetworkSKU"],
                        "QuantityShipped": int(row["QuantityShipped"]),
                        "QuantityReceived": int(row["QuantityReceived"]),
                        "QuantityInCase": int(row["QuantityInCase"]),
                    }
                )
        return cls(tables, snapshots, settlements, list(shipments.values()), dict(items))


@dataclass
class Report:
    report_id: str
    report_type: str
    start: dt.date | None
    end: dt.date | None
    created: dt.datetime
    content: bytes | None
    final: str  # the status it ends in
    polls_left: int
    document_id: str | None = None

    def status(self) -> str:
        if self.polls_left > 0:
            self.polls_left -= 1
            return "IN_QUEUE" if self.polls_left > 0 else "IN_PROGRESS"
        return self.final


@dataclass
class FakeAmazon:
    """Plays Amazon on a pytest-httpserver. Counters and switches are plain attributes."""

    server: object
    seller: Seller
    now: dt.datetime = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    polls: int = 2  # getReport answers before a report is done
    page_size: int = 10
    # (operation, call number) pairs answered 429, e.g. ("createReport", 3)
    throttle: set = field(default_factory=set)
    # the x-amzn-RateLimit-Limit a 429 carries, per operation (None: no header, as Amazon
    # often answers)
    rate_limits: dict = field(
        default_factory=lambda: {"createReport": "0.0167", "getReports": None, "getReport": "2"}
    )
    # (report type, first day) of ranges that end FATAL the first time they are asked
    fatal_once: set = field(default_factory=set)
    # report types Amazon answers with CANCELLED when the range has no data
    cancel_when_empty: set = field(default_factory=set)
    # report types Amazon no longer offers (createReport answers 400)
    refused_types: set = field(default_factory=set)
    # report types whose document URL answers 403 (an expired address) the first time
    forbidden_once: set = field(default_factory=set)
    # report types whose download stops half-way until `release` is set
    stall_types: set = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    stalled: threading.Event = field(default_factory=threading.Event)
    calls: Counter = field(default_factory=Counter)
    downloads: Counter = field(default_factory=Counter)
    reports: dict = field(default_factory=dict)
    documents: dict = field(default_factory=dict)
    reports_by_document: dict = field(default_factory=dict)
    tokens_issued: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _fatal_done: set = field(default_factory=set)

    def __post_init__(self) -> None:
        s = self.server
        s.expect_request("/auth/o2/token", method="POST").respond_with_handler(self._token)
        s.expect_request(re.compile(r"^/reports/2021-06-30/reports$")).respond_with_handler(
            self._reports
        )
        s.expect_request(
            re.compile(r"^/reports/2021-06-30/reports/[^/]+$"), method="GET"
        ).respond_with_handler(self._get_report)
        s.expect_request(re.compile(r"^/reports/2021-06-30/documents/[^/]+$")).respond_with_handler(
            self._document_info
        )
        s.expect_request(re.compile(r"^/download/[^/]+$")).respond_with_handler(self._download)
        s.expect_request("/fba/inbound/v0/shipments").respond_with_handler(self._shipments)
        s.expect_request(
            re.compile(r"^/fba/inbound/v0/shipments/[^/]+/items$")
        ).respond_with_handler(self._items)

    # -- the endpoint a client is given ---------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self.server.url_for("").rstrip("/")

    @property
    def token_url(self) -> str:
        return self.server.url_for("/auth/o2/token")

    def environment(self) -> dict[str, str]:
        return {
            "LWA_APP_ID": CLIENT_ID,
            "LWA_CLIENT_SECRET": CLIENT_SECRET,
            "SP_API_REFRESH_TOKEN": REFRESH_TOKEN,
            "SP_API_ENDPOINT": self.endpoint,
            "LWA_TOKEN_URL": self.token_url,
        }

    # -- helpers --------------------------------------------------------------------------------

    def _json(self, body, status: int = 200, headers: dict | None = None) -> Response:
        return Response(
            json.dumps(body), status=status, headers=headers, content_type="application/json"
        )

    def _refused(self, request: Request, operation: str) -> Response | None:
        """401/429 before any work: a missing token, or a throttled call."""
        if request.headers.get("x-amz-access-token") != ACCESS_TOKEN:
            return self._json(
                {
                    "errors": [
                        {
                            "code": "Unauthorized",
                            "message": "Access to requested resource is denied.",
                        }
                    ]
                },
                403,
            )
        self.calls[operation] += 1
        if (operation, self.calls[operation]) in self.throttle:
            return self._json(
                {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota."}]},
                429,
                {"x-amzn-RateLimit-Limit": self.rate_limits[operation]}
                if self.rate_limits.get(operation)
                else {},
            )
        return None

    # -- Login with Amazon ----------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._json(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                401,
            )
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != REFRESH_TOKEN:
            return self._json(
                {
                    "error": "invalid_grant",
                    "error_description": "The request has an invalid "
                    "grant parameter : refresh_token",
                },
                400,
            )
        self.tokens_issued += 1
        return self._json(
            {
                "access_token": ACCESS_TOKEN,
                "token_type": "bearer",
                "expires_in": 3600,
                "refresh_token": REFRESH_TOKEN,
            }
        )

    # -- Reports API ------------------------------------------------------------------------------

    def _reports(self, request: Request) -> Response:
        if request.method == "POST":
            return self._create(request)
        refused = self._refused(request, "getReports")
        if refused:
            return refused
        args = request.args
        token = args.get("nextToken")
        if token:
            offset, types, since, until = json.loads(token)
        else:
            offset = 0
            types = args.get("reportTypes", "").split(",")
            since, until = args.get("createdSince"), args.get("createdUntil")
            oldest = self.now - dt.timedelta(days=90)
            if since and dt.datetime.fromisoformat(since.replace("Z", "+00:00")) < oldest:
                return self._json(
                    {
                        "errors": [
                            {
                                "code": "InvalidInput",
                                "message": "createdSince must be within 90 days",
                            }
                        ]
                    },
                    400,
                )
        listed = [
            s
            for s in self.seller.settlements
            if "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2" in types
            and s.created <= self.now
            and (not since or s.created >= dt.datetime.fromisoformat(since.replace("Z", "+00:00")))
            and (not until or s.created <= dt.datetime.fromisoformat(until.replace("Z", "+00:00")))
        ]
        page = listed[offset : offset + self.page_size]
        body = {"reports": [self._settlement_json(s) for s in page]}
        if offset + self.page_size < len(listed):
            body["nextToken"] = json.dumps([offset + self.page_size, types, since, until])
        return self._json(body)

    def _settlement_json(self, s: Settlement) -> dict:
        document_id = f"amzn1.spdoc.settlement.{s.report_id}"
        self.documents[document_id] = s.content
        return {
            "reportId": s.report_id,
            "reportType": "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "dataStartTime": s.start.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "dataEndTime": s.end.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "createdTime": s.created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "processingStatus": "DONE",
            "processingStartTime": s.created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "processingEndTime": s.created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "reportDocumentId": document_id,
        }

    def _create(self, request: Request) -> Response:
        refused = self._refused(request, "createReport")
        if refused:
            return refused
        body = request.get_json()
        kind = body["reportType"]
        if kind in self.refused_types or kind == "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2":
            return self._json(
                {
                    "errors": [
                        {"code": "InvalidInput", "message": f"Report type {kind} is not supported."}
                    ]
                },
                400,
            )

        def day(key: str) -> dt.date | None:
            return dt.date.fromisoformat(body[key][:10]) if body.get(key) else None

        start, end = day("dataStartTime"), day("dataEndTime")
        if kind == "GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA":
            content = self.seller.snapshots.get(self.now.date())
        else:
            content = self.seller.tables[kind].between(start, end)
        final = (
            "DONE"
            if content
            else ("CANCELLED" if kind in self.cancel_when_empty else "DONE_NO_DATA")
        )
        if (kind, start) in self.fatal_once - self._fatal_done and content:
            self._fatal_done.add((kind, start))
            final, content = "FATAL", b"Error: an internal error occurred, please retry.\n"
        report = Report(
            str(next(self._ids)), kind, start, end, self.now, content, final, self.polls
        )
        if content:
            report.document_id = f"amzn1.spdoc.{report.report_id}"
            self.documents[report.document_id] = content
            self.reports_by_document[report.document_id] = kind
        self.reports[report.report_id] = report
        return self._json({"reportId": report.report_id}, 202)

    def _get_report(self, request: Request) -> Response:
        refused = self._refused(request, "getReport")
        if refused:
            return refused
        report = self.reports.get(request.path.rsplit("/", 1)[1])
        if report is None:
            return self._json({"errors": [{"code": "NotFound", "message": "no such report"}]}, 404)
        status = report.status()
        body = {
            "reportId": report.report_id,
            "reportType": report.report_type,
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "createdTime": report.created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "processingStatus": status,
        }
        if report.start:
            body["dataStartTime"] = f"{report.start.isoformat()}T00:00:00+00:00"
        if report.end:
            body["dataEndTime"] = f"{report.end.isoformat()}T23:59:59+00:00"
        if status in ("DONE", "FATAL") and report.document_id:
            body["reportDocumentId"] = report.document_id
        return self._json(body)

    def _document_info(self, request: Request) -> Response:
        refused = self._refused(request, "getReportDocument")
        if refused:
            return refused
        document_id = request.path.rsplit("/", 1)[1]
        if document_id not in self.documents:
            return self._json({"errors": [{"code": "NotFound", "message": "no document"}]}, 404)
        return self._json(
            {
                "reportDocumentId": document_id,
                "url": self.server.url_for(f"/download/{document_id}"),
                "compressionAlgorithm": "GZIP",
            }
        )

    def _download(self, request: Request) -> Response:
        document_id = request.path.rsplit("/", 1)[1]
        self.downloads[document_id] += 1
        kind = self.reports_by_document.get(document_id)
        if kind in self.forbidden_once:
            self.forbidden_once.discard(kind)
            return Response(
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                status=403,
                content_type="application/xml",
            )
        packed = gzip.compress(self.documents[document_id])
        if self.reports_by_document.get(document_id) not in self.stall_types:
            return Response(packed, content_type="text/plain; charset=UTF-8")

        def slowly():
            yield packed[: len(packed) // 2]
            self.stalled.set()
            self.release.wait(30)
            yield packed[len(packed) // 2 :]

        return Response(slowly(), content_type="text/plain; charset=UTF-8")

    # -- Fulfillment Inbound API v0 ---------------------------------------------------------------

    def _shipments(self, request: Request) -> Response:
        refused = self._refused(request, "getShipments")
        if refused:
            return refused
        args = request.args
        if args.get("QueryType") == "NEXT_TOKEN":
            offset, after, before = json.loads(args["NextToken"])
        else:
            if args.get("QueryType") != "DATE_RANGE" or not args.get("ShipmentStatusList"):
                return self._json(
                    {"errors": [{"code": "InvalidInput", "message": "bad query"}]}, 400
                )
            offset = 0
            after, before = args["LastUpdatedAfter"][:10], args["LastUpdatedBefore"][:10]
        found = [
            {k: v for k, v in s.items() if not k.startswith("_")}
            for s in self.seller.shipments
            if after <= s["_updated"].isoformat() <= before and s["_updated"] <= self.now.date()
        ]
        payload = {"ShipmentData": found[offset : offset + 5]}
        if offset + 5 < len(found):
            payload["NextToken"] = json.dumps([offset + 5, after, before])
        return self._json({"payload": payload})

    def _items(self, request: Request) -> Response:
        refused = self._refused(request, "getShipmentItemsByShipmentId")
        if refused:
            return refused
        shipment_id = request.path.split("/")[-2]
        return self._json({"payload": {"ItemData": self.seller.items.get(shipment_id, [])}})
