"""What a seller pastes into a case and attaches to it: sentences that agree in number, the
marketplace's spelling, what Amazon already paid or took back named, and one evidence file per
claim that cites Amazon's ids, lists every row (every order of a fee claim) and no local file."""

from __future__ import annotations

import csv
import re

import pytest
from openpyxl import load_workbook

import auditor.workbook.cases
from auditor.store import connect
from auditor.workbook import write_workbook
from tests.conftest import SAMPLES
from tests.grammar import grammar_errors
from tests.rules.builders import ago, audit, audit_all, catalog, inbound, ledger, reimbursements

COST = catalog({"cost": "8.40"})


@pytest.mark.parametrize(
    "text, wrong",
    [
        ("1 unit of FNSKU X (SKU Y) was lost and has not been found.", []),
        ("2 units of FNSKU X were lost and have not been found.", []),
        ("1 units of FNSKU X was lost.", ["1 units"]),
        ("1 unit of FNSKU X were lost.", ["1 unit … were"]),
        ("2 units came back and was graded DAMAGED.", ["2 units … was"]),
        ("2 units lost in all, of which 1 unit was found.", []),
        ("we request $4.30 at $4.30 each.", ["$4.30 at $4.30 each"]),
    ],
)
def test_the_grammar_check_catches_what_it_should(text, wrong):
    assert grammar_errors(text) == wrong


def test_sample_case_texts_agree_in_number_and_speak_american_on_amazon_com(sample_audit):
    with open(sample_audit[0] / "findings.csv", encoding="utf-8") as f:
        findings = list(csv.DictReader(f))
    assert {f["quantity"] for f in findings} >= {"1", "2"}
    for f in findings:
        assert grammar_errors(f["summary"]) == [], f["summary"]
        assert "fulfilment" not in f["summary"] and "centre" not in f["summary"], f["summary"]


def r02(tmp_path, lost: int, paid: list[dict], currency: str = "USD", country: str = "US"):
    files = {
        "ledger": ledger(
            {"date": ago(30), "qty": -lost, "reason": "M", "ref": "00001448130", "country": country}
        ),
        "reimbursements": reimbursements(*paid),
        "catalog": COST,
    }
    [finding] = audit(tmp_path, files, "R02")
    return finding


@pytest.mark.parametrize("lost", [1, 2])
def test_r02_of_one_and_two_units(tmp_path, lost):
    f = r02(tmp_path, lost, [])
    assert grammar_errors(f["summary"]) == []
    assert "Amazon's fulfillment centers" in f["summary"]
    assert "reference 00001448130" in f["summary"]
    if lost == 1:
        assert f["summary"].endswith("We request $8.40.")
    else:
        assert f["summary"].endswith("We request $16.80 (2 units at $8.40 each).")


def test_r02_names_the_reimbursement_that_paid_part_of_the_loss(tmp_path):
    f = r02(
        tmp_path, 2, [{"date": ago(10), "reason": "Lost_Warehouse", "cash": 1, "id": "2000054439"}]
    )
    assert f["quantity"] == 1
    assert (
        "Amazon's records show 2 units of this FNSKU lost or damaged in all, of which 1 unit was "
        "reimbursed (reimbursement 2000054439); 1 unit remains unresolved." in f["summary"]
    )


def test_r02_names_the_reversal_that_makes_a_paid_loss_claimable_again(tmp_path):
    f = r02(
        tmp_path,
        1,
        [
            {"date": ago(20), "reason": "Lost_Warehouse", "cash": 1, "id": "5001"},
            {
                "date": ago(5),
                "reason": "Reimbursement_Reversal",
                "cash": -1,
                "id": "5002",
                "original": "5001",
            },
        ],
    )
    assert f["quantity"] == 1
    assert "reimbursement 5001 was reversed (reversal 5002)" in f["summary"]
    assert f["evidence_rows"] == 3  # the loss, the reimbursement and its reversal


def test_a_uk_loss_is_written_in_british_spelling(tmp_path):
    files = {
        "ledger": ledger(
            {"date": ago(30), "qty": -1, "reason": "M", "ref": "00001448130", "country": "GB"}
        ),
        "reimbursements": reimbursements(),
        "catalog": catalog({"cost": "8.40", "currency": "GBP"}),
    }
    [f] = audit(tmp_path, files, "R02")
    assert f["currency"] == "GBP"
    assert "Amazon's fulfilment centres" in f["summary"]


def claims_rows(folder):
    sheet = load_workbook(folder / "claims.xlsx")["Claims"]
    header = [c.value for c in sheet[1]]
    return header, list(sheet.iter_rows(min_row=2))


def test_every_claim_has_its_evidence_file_with_every_row_cited_by_amazon_ids(sample_audit):
    folder = sample_audit[0]
    header, rows = claims_rows(folder)
    with open(folder / "findings.csv", encoding="utf-8") as f:
        findings = {r["finding_id"]: r for r in csv.DictReader(f)}
    local_files = [p.name for p in SAMPLES.rglob("*") if p.is_file()]
    assert rows
    for row in rows:
        finding = findings[row[header.index("Finding id")].value]
        cell = row[header.index("Evidence file")]
        assert cell.value == f"{finding['finding_id']}.csv"
        assert cell.hyperlink.target == f"cases/{cell.value}"
        with open(folder / "cases" / cell.value, encoding="utf-8") as f:
            evidence = list(csv.DictReader(f))
        assert len(evidence) == int(finding["evidence_rows"])
        text = "\n".join(e["evidence"] + e["row"] for e in evidence)
        assert not any(name in text for name in local_files)
        fee_claim = finding["rule"] in ("R01", "R10")
        for column in ("sku",) if fee_claim else ("order_id", "shipment_id", "fnsku"):
            assert finding[column] in text, (column, finding["finding_id"])
        case = row[header.index("Case text")].value
        assert cell.value in case and not any(name in case for name in local_files)
    # a fee claim's file covers every order it names, the ones its text leaves out too
    fee = next(f for f in findings.values() if f["rule"] == "R01" and f["status"] == "expiring")
    assert "and 45 more" in fee["summary"]
    with open(folder / "cases" / f"{fee['finding_id']}.csv", encoding="utf-8") as f:
        orders = {
            m for e in csv.DictReader(f) for m in re.findall(r"\d{3}-\d{7}-\d{7}", e["evidence"])
        }
    assert len(orders) == 50
    # only claims to file have a file
    assert sorted(p.name for p in (folder / "cases").iterdir()) == sorted(
        f"{r[header.index('Finding id')].value}.csv" for r in rows
    )


def test_a_claim_no_longer_to_file_leaves_no_evidence_file_behind(tmp_path):
    files = {
        "ledger": ledger({"date": ago(30), "qty": -1, "reason": "M"}),
        "reimbursements": reimbursements(),
        "catalog": COST,
    }
    audit_all(tmp_path / "r", files)
    con = connect(tmp_path / "r" / "seller.duckdb")
    try:
        write_workbook(con, tmp_path / "out" / "claims.xlsx")
        assert len(list((tmp_path / "out" / "cases").iterdir())) == 1
        con.execute("UPDATE last_findings SET status = 'expired'")
        write_workbook(con, tmp_path / "out" / "claims.xlsx")
    finally:
        con.close()
    assert list((tmp_path / "out" / "cases").iterdir()) == []


def test_a_claim_links_to_its_findings_row_and_counts_its_days_in_excel(sample_audit):
    folder = sample_audit[0]
    book = load_workbook(folder / "claims.xlsx")
    header, rows = claims_rows(folder)
    for row in rows:
        rule = row[header.index("Rule")]
        sheet, _, cell = rule.hyperlink.location.partition("!")
        target = book[sheet.strip("'")][cell]
        assert target.value == row[header.index("Finding id")].value
        assert target.column == 1 and target.row > 1
        days_left = row[header.index("Days left")]
        assert days_left.data_type == "f"
        assert days_left.value == f"=D{days_left.row}-TODAY()"


@pytest.mark.parametrize("paid", [0, 1])
def test_r04_says_what_was_short_and_what_amazon_already_paid(tmp_path, paid):
    files = {
        "inbound": inbound(
            {"shipment": "FBA15SHORT", "shipped": 10, "received": 8, "closed": ago(20)}
        ),
        "reimbursements": reimbursements(
            *(
                [
                    {
                        "date": ago(10),
                        "reason": "Lost_Inbound",
                        "cash": 1,
                        "id": "2000093324",
                        "order_id": "FBA15SHORT",
                    }
                ]
                if paid
                else []
            )
        ),
        "catalog": COST,
    }
    [f] = audit(tmp_path, files, "R04")
    assert f["quantity"] == 2 - paid
    assert grammar_errors(f["summary"]) == []
    assert "of FNSKU X1 (SKU SKU1) 10 units were shipped and 8 received, 2 short." in f["summary"]
    if paid:
        assert (
            "Amazon reimbursed 1 of them (reimbursement 2000093324), which leaves 1 unit never "
            "received or reimbursed. We request $8.40." in f["summary"]
        )
    else:
        assert "None were reimbursed. We request $16.80 (2 units at $8.40 each)." in f["summary"]


def test_case_files_read_a_few_findings_at_a_time_are_the_same(sample_audit, tmp_path, monkeypatch):
    """Written from small ranges of findings (as a large seller's are), every case file is the
    one written at once."""
    monkeypatch.setattr(auditor.workbook.cases, "CASE_BATCH_ROWS", 3)
    con = connect(sample_audit[0] / "s.duckdb")
    try:
        write_workbook(con, tmp_path / "claims.xlsx")
    finally:
        con.close()
    ours = sorted((tmp_path / "cases").iterdir())
    theirs = sorted((sample_audit[0] / "cases").iterdir())
    assert [p.name for p in ours] == [p.name for p in theirs] and len(ours) > 3
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(ours, theirs, strict=True))
