"""`fba-audit fetch` against a local server playing Amazon."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from tests.conftest import ROOT, SAMPLES
from tests.fetch.fake_amazon import CLIENT_SECRET, REFRESH_TOKEN

LEDGER = "GET_LEDGER_DETAIL_VIEW_DATA"
RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
REMOVALS = "GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA"
ADJUSTMENTS = "GET_FBA_FULFILLMENT_INVENTORY_ADJUSTMENTS_DATA"
# A seller fetching every two or three months, from the first month of the sample seller to
# the audit's day; each fetch is made on its --until day, as Amazon's clock says.
FETCH_DAYS = ("2025-03-31", "2025-06-01", "2025-08-29", "2025-11-27", "2026-01-01", "2026-01-15")


def fetch(amazon, folder: Path, until: str, *args: str):
    amazon.now = dt.datetime.fromisoformat(until).replace(hour=12, tzinfo=dt.UTC)
    return CliRunner().invoke(main, ["fetch", str(folder), "--until", until, *args])


def audit(folder: Path, out: Path):
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(folder),
            "--as-of",
            "2026-01-15",
            "--db",
            str(out / "seller.duckdb"),
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    return (out / "findings.csv").read_text(encoding="utf-8")


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


@pytest.mark.slow
def test_monthly_fetches_audit_to_the_sample_sellers_findings(amazon, tmp_path):
    folder = tmp_path / "reports"
    amazon.throttle = {("createReport", 3), ("getReports", 1), ("getReport", 5)}
    amazon.fatal_once = {(RETURNS, dt.date(2025, 1, 1))}
    amazon.cancel_when_empty = {REMOVALS}
    amazon.page_size = 4

    first = fetch(amazon, folder, FETCH_DAYS[0], "--since", "2024-12-01")
    # The FATAL report is named, the rest is kept, and the fetch says it is incomplete.
    assert first.exit_code == 1
    assert "customer returns 2025-01-01 to 2025-01-31: FATAL (Error: an internal error" in (
        first.output
    )
    assert "Error: fetch incomplete: 1 failed (customer returns 2025-01-01 to 2025-01-31" in (
        first.output
    )
    assert "removal order detail 2024-12-01 to 2024-12-31: CANCELLED, Amazon has no data" in (
        first.output
    )
    assert "fee preview: DONE_NO_DATA" in first.output
    # Throttled: each wait is one request's worth of the rate Amazon's header gave, or of
    # Amazon's published rate when the 429 has no header (getReports: 0.0222 a second).
    assert "Amazon throttled createReport: waiting 60 s as its rate limit says" in first.output
    assert "Amazon throttled getReport: waiting 0 s" in first.output
    assert "Amazon throttled getReports: waiting 45 s" in first.output
    assert {1 / 0.0167, 1 / 2, 1 / 0.0222} <= set(amazon.slept)
    assert not list(folder.glob("returns/customer-returns-US-2025-01*"))

    for day in FETCH_DAYS[1:]:
        result = fetch(amazon, folder, day)
        assert result.exit_code == 0, result.output
    fetched = files(folder)
    # One file per report and range, named for a person; the December returns asked again.
    assert "ledger/ledger-US-2025-03-01_2025-03-31.txt" in fetched
    assert "orders/all-orders-US-2025-12-01_2025-12-30.txt" in fetched
    assert "returns/customer-returns-US-2024-12-01_2024-12-31.txt" not in fetched  # no data
    assert "fee-preview/fee-preview-US-2025-06-01.txt" in fetched
    assert "fee-preview/fee-preview-US-2026-01-01.txt" in fetched
    settlements = [name for name in fetched if name.startswith("settlements/")]
    assert len(settlements) == len(amazon.seller.settlements) == 26
    assert "settlements/settlement-US-2025-01-15_2025-01-29-511842000000.txt" in fetched
    assert (
        fetched["settlements/settlement-US-2025-01-15_2025-01-29-511842000000.txt"]
        == (SAMPLES / "settlements" / "11842000000.txt").read_bytes()
    )

    # A second fetch of the same day asks for nothing and downloads nothing.
    created, downloads = amazon.calls["createReport"], sum(amazon.downloads.values())
    again = fetch(amazon, folder, FETCH_DAYS[-1])
    assert again.exit_code == 0, again.output
    assert "nothing new to fetch" in again.output
    assert amazon.calls["createReport"] == created
    assert sum(amazon.downloads.values()) == downloads
    assert files(folder) == fetched

    # With the seller's own files beside (their catalog, and their shipment export with the
    # closed dates Amazon's API does not give), the audit is the sample seller's exactly.
    shutil.copy(SAMPLES / "my-catalog.csv", folder)
    shutil.copy(SAMPLES / "inbound-shipments.csv", folder)
    expected = (SAMPLES / "expected_findings.csv").read_text(encoding="utf-8")
    assert audit(folder, tmp_path / "audit") == expected

    # Without the export, a shipment closes on its last receipt: only such findings move.
    (folder / "inbound-shipments.csv").unlink()
    alone = audit(folder, tmp_path / "alone").splitlines()
    moved = set(alone) ^ set(expected.splitlines())
    assert moved and {line.split(",")[1] for line in moved} <= {"R04", "R08"}


def test_the_credentials_never_reach_the_folder_or_the_screen(amazon, tmp_path):
    folder = tmp_path / "reports"
    result = fetch(amazon, folder, "2026-01-15", "--since", "2026-01-01")
    assert result.exit_code == 0, result.output
    assert amazon.tokens_issued >= 1
    for secret in (CLIENT_SECRET, REFRESH_TOKEN):
        assert secret not in result.output
        for path in folder.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "LWA_CLIENT_SECRET",
            "wrong",
            "Error: Amazon rejected the LWA client id or client secret (invalid_client); copy "
            "both again from Seller Central > Apps and Services > Develop Apps",
        ),
        (
            "SP_API_REFRESH_TOKEN",
            "Atzr|revoked",
            "Error: Amazon rejected the refresh token (invalid_grant: revoked, expired or made "
            "for another app); get a new one",
        ),
        (
            "SP_API_REFRESH_TOKEN",
            None,
            'Error: no refresh token: set SP_API_REFRESH_TOKEN or put refresh_token = "…" in',
        ),
    ],
)
def test_a_missing_or_rejected_credential_is_one_line_naming_it(
    amazon, tmp_path, monkeypatch, variable, value, message
):
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    result = fetch(amazon, tmp_path / "reports", "2026-01-15")
    assert result.exit_code == 1
    assert result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output and "wrong" not in result.output


def test_credentials_come_from_a_file_kept_outside_the_reports_folder(
    amazon, tmp_path, monkeypatch
):
    for variable in ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN"):
        monkeypatch.delenv(variable)
    environment = amazon.environment()
    text = (
        f'client_id = "{environment["LWA_APP_ID"]}"\n'
        f'client_secret = "{environment["LWA_CLIENT_SECRET"]}"\n'
        f'refresh_token = "{environment["SP_API_REFRESH_TOKEN"]}"\n'
    )
    outside = tmp_path / "keys" / "credentials.toml"
    outside.parent.mkdir()
    outside.write_text(text)
    folder = tmp_path / "reports"
    result = fetch(
        amazon, folder, "2026-01-15", "--since", "2026-01-10", "--credentials", str(outside)
    )
    assert result.exit_code == 0, result.output

    inside = folder / "credentials.toml"
    inside.write_text(text)
    refused = fetch(amazon, folder, "2026-01-15", "--credentials", str(inside))
    assert refused.exit_code == 1
    assert "keep the credentials file outside the reports folder" in refused.output


def test_a_report_amazon_no_longer_offers_is_a_note_not_a_failure(amazon, tmp_path):
    amazon.refused_types = {ADJUSTMENTS}
    result = fetch(amazon, tmp_path / "reports", "2026-01-15", "--since", "2026-01-01")
    assert result.exit_code == 0, result.output
    assert (
        "note: adjustments: not offered by Amazon (InvalidInput: Report type "
        f"{ADJUSTMENTS} is not supported.)"
    ) in result.output
    assert (tmp_path / "reports" / "ledger" / "ledger-US-2026-01-01_2026-01-15.txt").exists()


def test_reports_still_queued_are_collected_by_the_next_fetch_not_asked_again(amazon, tmp_path):
    folder = tmp_path / "reports"
    amazon.polls = 1000
    result = fetch(amazon, folder, "2026-01-15", "--since", "2026-01-01", "--wait", "0")
    assert result.exit_code == 1
    assert "reports are still in Amazon's queue; run fetch again later" in result.output
    assert "still in Amazon's queue; run fetch again later, it asks only for what is" in (
        result.output
    )
    created = amazon.calls["createReport"]
    for report in amazon.reports.values():
        report.polls_left = 0
    again = fetch(amazon, folder, "2026-01-15")
    assert again.exit_code == 0, again.output
    assert amazon.calls["createReport"] == created
    assert (folder / "ledger" / "ledger-US-2026-01-01_2026-01-15.txt").exists()


def test_run_fetch_fetches_then_audits(amazon, tmp_path):
    folder, out = tmp_path / "new-folder", tmp_path / "audit"
    amazon.now = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    args = ["run", str(folder), "--fetch", "--since", "2025-12-01", "--as-of", "2026-01-15"]
    args += ["--db", str(tmp_path / "s.duckdb"), "--out", str(out), "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (folder / "ledger" / "ledger-US-2025-12-01_2025-12-31.txt").exists()
    assert (out / "findings.csv").read_text().startswith("finding_id,rule,")

    amazon.fatal_once = {(LEDGER, dt.date(2025, 12, 1))}
    shutil.rmtree(folder)
    failed = CliRunner().invoke(main, args)
    assert failed.exit_code == 1
    assert "fetch incomplete: 1 failed (ledger 2025-12-01 to 2025-12-31: FATAL" in failed.output
    assert "not audited, so that no report is silently missing" in failed.output


@pytest.mark.slow
def test_a_fetch_killed_mid_download_leaves_no_partial_report(amazon, tmp_path):
    folder = tmp_path / "reports"
    amazon.polls = 0
    amazon.stall_types = {LEDGER}
    amazon.now = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    command = [sys.executable, "-m", "auditor.cli", "fetch", str(folder)]
    command += ["--since", "2026-01-01", "--until", "2026-01-15", "--quiet"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=os.environ.copy(), stderr=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert amazon.stalled.wait(60), process.communicate(timeout=5)
        partials = list((folder / ".fetching").glob("*"))
        assert [p.name for p in partials] == ["ledger-US-2026-01-01_2026-01-15.txt"]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        amazon.release.set()
        if process.poll() is None:
            process.kill()
    assert not (folder / "ledger").exists() or not list((folder / "ledger").iterdir())
    # The loader does not see the hidden partial: the folder loads without a ledger.
    out = tmp_path / "ingest"
    loaded = CliRunner().invoke(
        main, ["ingest", str(folder), "--db", str(tmp_path / "i.duckdb"), "--quiet"]
    )
    assert ".fetching" not in loaded.output and "ledger" not in loaded.output.lower(), loaded.output
    # The next fetch asks again and completes: the ledger is whole.
    amazon.stall_types = set()
    amazon.release = threading.Event()
    result = fetch(amazon, folder, "2026-01-15")
    assert result.exit_code == 0, result.output
    ledger = folder / "ledger" / "ledger-US-2026-01-01_2026-01-15.txt"
    assert ledger.read_bytes() == amazon.seller.tables[LEDGER].between(
        dt.date(2026, 1, 1), dt.date(2026, 1, 15)
    )
    assert not (folder / ".fetching").exists()
    del out


def test_settlements_amazon_no_longer_lists_are_named_and_the_rest_is_fetched(amazon, tmp_path):
    folder = tmp_path / "reports"
    amazon.now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)  # the fetch is for long ago
    result = CliRunner().invoke(
        main, ["fetch", str(folder), "--since", "2026-01-01", "--until", "2026-01-15"]
    )
    assert result.exit_code == 1
    assert (
        "settlements: Amazon refused the request (InvalidInput: createdSince must be within "
        "90 days)"
    ) in result.output
    assert "Error: fetch incomplete: 1 failed (settlements: InvalidInput" in result.output
    assert (folder / "ledger" / "ledger-US-2026-01-01_2026-01-15.txt").exists()
    assert list(folder.glob("inbound/*.csv"))


def test_an_error_page_from_the_document_address_is_never_saved_as_a_report(amazon, tmp_path):
    folder = tmp_path / "reports"
    amazon.forbidden_once = {LEDGER}
    first = fetch(amazon, folder, "2026-01-15", "--since", "2026-01-01")
    assert first.exit_code == 1
    assert "download of report document" in first.output and "403" in first.output
    assert not list(folder.glob("ledger/*"))
    again = fetch(amazon, folder, "2026-01-15")
    assert again.exit_code == 0, again.output
    ledger = folder / "ledger" / "ledger-US-2026-01-01_2026-01-15.txt"
    assert ledger.read_bytes().startswith(b'"Date"\t"FNSKU"')


def test_two_fetches_into_one_folder_do_not_run_at_once(amazon, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    with open(folder / ".fba-audit-fetch.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = fetch(amazon, folder, "2026-01-15", "--since", "2026-01-01")
    assert result.exit_code == 1
    assert "another fetch is running into this folder; wait for it to finish" in result.output
