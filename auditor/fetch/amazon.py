"""Amazon's Selling Partner API, as much of it as `fetch` needs, behind one small class.

The client library (python-amazon-sp-api) signs in with Login with Amazon, builds and sends the
requests and reads Amazon's answers, including where each report document is (its pre-signed
address and compression). This module adds what a monthly fetch needs around it: waits as long
as Amazon's rate-limit header says when a call is throttled, one-line errors that name the
credential at fault, and downloads, streamed and unzipped here, that are either complete or
absent: an error page from the document's address or a gzip stream cut short is never kept.
Nothing here prints or keeps a credential."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sp_api.api import Reports
from sp_api.api.fulfillment_inbound.fulfillment_inbound_v0 import FulfillmentInboundV0
from sp_api.auth import AccessTokenClient
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces, SellingApiException
from sp_api.base.exceptions import (
    SellingApiBadRequestException,
    SellingApiForbiddenException,
    SellingApiGatewayTimeoutException,
    SellingApiNotFoundException,
    SellingApiRequestThrottledException,
    SellingApiServerException,
    SellingApiTemporarilyUnavailableException,
)

from auditor.fetch.credentials import WHERE_TO_GET, Credentials
from auditor.fetch.errors import FetchError

# The library logs request headers (the access token among them) at debug level: never.
logging.getLogger("sp_api").setLevel(logging.WARNING)

# Marketplaces fetch knows, by the code a seller types.
MARKETPLACES = ("US", "CA", "MX", "UK", "DE", "FR", "IT", "ES", "JP")
# Waits after a throttled call when Amazon's header does not say (seconds), and the most tries.
BACKOFF = (1, 2, 4, 8, 16, 32, 60)
MAX_TRIES = 12
RATE_HEADER = "x-amzn-RateLimit-Limit"
# Amazon's published rate limits (requests a second), for a 429 that carries no header.
DEFAULT_RATES = {
    "createReport": 0.0167,
    "getReport": 2.0,
    "getReports": 0.0222,
    "getReportDocument": 0.0167,
    "getShipments": 2.0,
    "getShipmentItemsByShipmentId": 2.0,
}


@dataclass(frozen=True)
class Report:
    """A report request as Amazon describes it."""

    report_id: str
    status: str  # IN_QUEUE, IN_PROGRESS, DONE, DONE_NO_DATA, CANCELLED, FATAL
    document_id: str | None
    created: dt.datetime | None
    start: dt.date | None
    end: dt.date | None


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _report(payload: dict) -> Report:
    start, end = _time(payload.get("dataStartTime")), _time(payload.get("dataEndTime"))
    return Report(
        report_id=str(payload["reportId"]),
        status=payload.get("processingStatus", ""),
        document_id=payload.get("reportDocumentId"),
        created=_time(payload.get("createdTime")),
        start=start.date() if start else None,
        end=end.date() if end else None,
    )


def wait_for(rate_header: str | None, operation: str, attempt: int) -> float:
    """Seconds to wait before calling again: one request's worth of the operation's rate
    limit, as Amazon's x-amzn-RateLimit-Limit header gives it (requests a second; a limit of
    0.0167 is a wait of 60 s). Amazon sends the header with answers, not always with the 429
    itself: the last one seen for the operation counts, else Amazon's published default;
    a growing backoff when neither is known."""
    try:
        rate = float(rate_header) if rate_header else DEFAULT_RATES.get(operation, 0.0)
    except ValueError:
        rate = DEFAULT_RATES.get(operation, 0.0)
    if rate > 0:
        return min(1 / rate, 300.0)
    return float(BACKOFF[min(attempt, len(BACKOFF) - 1)])


class _Endpoint:
    """Points a client of the library at another endpoint (Amazon's sandbox, or a test
    server) and keeps the Host header right for it."""

    endpoint: str

    @property
    def headers(self):
        headers = super().headers
        headers["host"] = urlsplit(self.endpoint).netloc
        return headers


def _token_client(token_url: str | None) -> type[AccessTokenClient]:
    if not token_url:
        return AccessTokenClient
    url = urlsplit(token_url)
    return type(
        "TokenClient",
        (AccessTokenClient,),
        {"scheme": f"{url.scheme}://", "host": url.netloc, "path": url.path or "/auth/o2/token"},
    )


class Amazon:
    """One seller account in one marketplace."""

    def __init__(
        self,
        credentials: Credentials,
        marketplace: str,
        sleep: Callable[[float], None] | None = None,
        on_wait: Callable[[str, float], None] | None = None,
    ) -> None:
        self.marketplace = Marketplaces[marketplace]
        self.credentials = credentials
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))
        self.on_wait = on_wait or (lambda what, seconds: None)
        self._rates: dict[str, str] = {}
        secrets = {
            "refresh_token": credentials.refresh_token,
            "lwa_app_id": credentials.client_id,
            "lwa_client_secret": credentials.client_secret,
        }
        options = {
            "credentials": secrets,
            "refresh_token": credentials.refresh_token,
            "auth_token_client_class": _token_client(credentials.token_url),
            "timeout": 120,
        }
        # The library reads SP_API_DEFAULT_MARKETPLACE over the marketplace it is given.
        os.environ.pop("SP_API_DEFAULT_MARKETPLACE", None)
        reports, inbound = Reports, FulfillmentInboundV0
        if credentials.endpoint:
            reports = type("Reports", (_Endpoint, Reports), {})
            inbound = type("FulfillmentInbound", (_Endpoint, inbound), {})
        self._reports = reports(self.marketplace, **options)
        self._inbound = inbound(self.marketplace, **options)
        if credentials.endpoint:
            self._reports.endpoint = self._inbound.endpoint = credentials.endpoint.rstrip("/")

    # -- the calls --------------------------------------------------------------------------

    def create_report(self, report_type: str, start: dt.date | None, end: dt.date | None) -> str:
        """Ask Amazon for a report of [start, end] (whole days, UTC); its id."""
        body: dict = {"reportType": report_type}
        if start is not None:
            body["dataStartTime"] = f"{start.isoformat()}T00:00:00Z"
        if end is not None:
            body["dataEndTime"] = f"{end.isoformat()}T23:59:59Z"
        response = self._call("createReport", self._reports.create_report, **body)
        return str(response.payload["reportId"])

    def report(self, report_id: str) -> Report:
        return _report(self._call("getReport", self._reports.get_report, report_id).payload)

    def reports(self, report_type: str, since: dt.datetime, until: dt.datetime) -> Iterator[Report]:
        """Every finished report of a type Amazon created in [since, until], page by page."""
        params: dict = {
            "reportTypes": [report_type],
            "processingStatuses": ["DONE"],
            "createdSince": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "createdUntil": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "pageSize": 100,
        }
        while True:
            response = self._call("getReports", self._reports.get_reports, **params)
            payload = response.payload
            listed = payload.get("reports", []) if isinstance(payload, dict) else payload
            yield from (_report(r) for r in listed or [])
            token = response.next_token or (
                payload.get("nextToken") if isinstance(payload, dict) else None
            )
            if not token:
                return
            params = {"nextToken": token}

    def download(self, document_id: str, target: Path, partial: Path) -> int:
        """Write a report document to `target` as Amazon's bytes (unzipped), through `partial`
        renamed at the end, so that `target` is whole or absent: an error page from the
        document's URL, or a document cut short, is never written in its place. Its size."""
        info = self._call("getReportDocument", self._reports.get_report_document, document_id)
        url = info.payload.get("url") if isinstance(info.payload, dict) else None
        if not url:
            raise FetchError(f"Amazon gave no address for report document {document_id}")
        gzipped = bool(info.payload.get("compressionAlgorithm"))
        partial.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(partial, "wb") as file, httpx.stream("GET", url, timeout=300) as answer:
                answer.raise_for_status()
                unzip = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
                for chunk in answer.iter_bytes(1 << 20):
                    file.write(unzip.decompress(chunk) if unzip else chunk)
                if unzip:
                    file.write(unzip.flush())
                    if not unzip.eof:
                        raise zlib.error("the document ends before its gzip stream does")
        except (httpx.HTTPError, zlib.error, OSError) as error:
            partial.unlink(missing_ok=True)
            raise FetchError(
                f"download of report document {document_id} failed ({error}); run fetch again: "
                "it asks for what is missing"
            ) from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        size = partial.stat().st_size
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, target)
        return size

    def error_text(self, document_id: str) -> str:
        """The first line of the error document Amazon leaves on a FATAL report."""
        response = self._call(
            "getReportDocument", self._reports.get_report_document, document_id, download=True
        )
        text = str(response.payload.get("document") or "").strip()
        return text.splitlines()[0][:200] if text else ""

    def shipments(self, after: dt.date, before: dt.date) -> Iterator[dict]:
        """Inbound shipments last updated in [after, before], in every status."""
        params: dict = {
            "QueryType": "DATE_RANGE",
            "ShipmentStatusList": ",".join(SHIPMENT_STATUSES),
            "LastUpdatedAfter": f"{after.isoformat()}T00:00:00Z",
            "LastUpdatedBefore": f"{before.isoformat()}T23:59:59Z",
        }
        while True:
            payload = self._call("getShipments", self._inbound.get_shipments, **params).payload
            yield from payload.get("ShipmentData", []) or []
            token = payload.get("NextToken")
            if not token:
                return
            params = {"QueryType": "NEXT_TOKEN", "NextToken": token}

    def shipment_items(self, shipment_id: str) -> Iterator[dict]:
        params: dict = {}
        while True:
            payload = self._call(
                "getShipmentItemsByShipmentId",
                self._inbound.shipment_items_by_shipment,
                shipment_id,
                **params,
            ).payload
            yield from payload.get("ItemData", []) or []
            token = payload.get("NextToken")
            if not token:
                return
            params = {"NextToken": token}

    # -- one call, with Amazon's limits ------------------------------------------------------

    def _call(self, operation: str, function, *args, **kwargs):
        for attempt in range(MAX_TRIES):
            try:
                response = function(*args, **kwargs)
                rate = (getattr(response, "headers", None) or {}).get(RATE_HEADER)
                if rate:
                    self._rates[operation] = rate
                return response
            except (
                SellingApiRequestThrottledException,
                SellingApiServerException,
                SellingApiTemporarilyUnavailableException,
                SellingApiGatewayTimeoutException,
            ) as error:
                if attempt == MAX_TRIES - 1:
                    raise FetchError(
                        f"Amazon kept refusing {operation} ({_first_error(error)}) after "
                        f"{MAX_TRIES} tries; run fetch again later: what was fetched is kept"
                    ) from None
                header = (error.headers or {}).get(RATE_HEADER)
                seconds = wait_for(header or self._rates.get(operation), operation, attempt)
                self.on_wait(operation, seconds)
                self.sleep(seconds)
            except AuthorizationError as error:
                raise FetchError(_rejected(error)) from None
            except SellingApiForbiddenException as error:
                raise FetchError(
                    f"Amazon refused {operation} (403 {_first_error(error)}): the app needs the "
                    "roles Inventory and Order Tracking, Finance and Accounting, and Amazon "
                    "Fulfillment; add them in your app's settings, authorise it again and use "
                    "the new refresh token"
                ) from None
            except SellingApiBadRequestException as error:
                raise Refused(operation, _first_error(error)) from None
            except SellingApiNotFoundException as error:
                raise Gone(operation, _first_error(error)) from None
            except SellingApiException as error:  # 401, 409, 502 and what else Amazon says
                raise FetchError(
                    f"Amazon answered {operation} with an error ({_first_error(error)}); run "
                    "fetch again later: what was fetched is kept"
                ) from None
            except (ValueError, KeyError, TypeError) as error:  # an answer that is not JSON
                raise FetchError(
                    f"Amazon's answer to {operation} could not be read "
                    f"({type(error).__name__}); run fetch again later: what was fetched is kept"
                ) from None
            except httpx.HTTPError as error:
                try:
                    host = error.request.url.host
                except RuntimeError:  # no request attached
                    host = urlsplit(self._reports.endpoint).netloc
                raise FetchError(
                    f"cannot reach Amazon at {host} ({type(error).__name__}); check the "
                    "connection and run fetch again: what was fetched is kept"
                ) from None
        raise AssertionError("unreachable")


class Gone(FetchError):
    """Amazon answered 404: what was asked for is not there (a report it no longer keeps)."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(f"Amazon has no such {operation} result: {reason}")


class Refused(FetchError):
    """Amazon answered 400: the request itself is not accepted (e.g. a report type it no longer
    offers)."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(f"Amazon refused {operation}: {reason}")
        self.reason = reason


SHIPMENT_STATUSES = (
    "WORKING",
    "READY_TO_SHIP",
    "SHIPPED",
    "IN_TRANSIT",
    "DELIVERED",
    "CHECKED_IN",
    "RECEIVING",
    "CLOSED",
    "CANCELLED",
    "DELETED",
    "ERROR",
)


def _first_error(error: SellingApiException) -> str:
    errors = error.error if isinstance(error.error, list) else [error.error]
    first = errors[0] if errors else {}
    if isinstance(first, dict):
        return ": ".join(str(first[k]) for k in ("code", "message") if first.get(k))
    return str(first)


def _rejected(error: AuthorizationError) -> str:
    code = getattr(error, "error_code", "") or ""
    message = getattr(error, "message", "") or ""
    if "invalid_client" in f"{code} {message}":
        return (
            "Amazon rejected the LWA client id or client secret (invalid_client); copy both "
            f"again from {WHERE_TO_GET['client_id']}"
        )
    if "invalid_grant" in f"{code} {message}":
        return (
            "Amazon rejected the refresh token (invalid_grant: revoked, expired or made for "
            f"another app); get a new one: {WHERE_TO_GET['refresh_token']}"
        )
    return f"Amazon refused to sign in ({code or 'error'}): {message}".strip()
