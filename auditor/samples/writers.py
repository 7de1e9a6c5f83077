"""Write rows the way Seller Central writes each report: headers, separators, quoting, dates."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from auditor.reports import INBOUND_API_FIELDS

LEDGER_HEADER = [
    "Date",
    "FNSKU",
    "ASIN",
    "MSKU",
    "Title",
    "Event Type",
    "Reference ID",
    "Quantity",
    "Fulfillment Center",
    "Disposition",
    "Reason",
    "Country",
    "Reconciled Quantity",
    "Unreconciled Quantity",
    "Date and Time",
]
ADJUSTMENTS_HEADER = [
    "adjusted-date",
    "transaction-item-id",
    "fnsku",
    "sku",
    "product-name",
    "fulfillment-center-id",
    "quantity",
    "reason",
    "disposition",
]
RETURNS_HEADER = [
    "return-date",
    "order-id",
    "sku",
    "asin",
    "fnsku",
    "product-name",
    "quantity",
    "fulfillment-center-id",
    "detailed-disposition",
    "reason",
    "status",
    "license-plate-number",
    "customer-comments",
]
REIMBURSEMENTS_HEADER = [
    "approval-date",
    "reimbursement-id",
    "case-id",
    "amazon-order-id",
    "reason",
    "sku",
    "fnsku",
    "asin",
    "product-name",
    "condition",
    "currency-unit",
    "amount-per-unit",
    "amount-total",
    "quantity-reimbursed-cash",
    "quantity-reimbursed-inventory",
    "quantity-reimbursed-total",
    "original-reimbursement-id",
    "original-reimbursement-type",
]
FEE_PREVIEW_HEADER = [
    "sku",
    "fnsku",
    "asin",
    "product-name",
    "product-group",
    "brand",
    "fulfilled-by",
    "your-price",
    "sales-price",
    "longest-side",
    "median-side",
    "shortest-side",
    "length-and-girth",
    "unit-of-dimension",
    "item-package-weight",
    "unit-of-weight",
    "product-size-tier",
    "currency",
    "estimated-fee-total",
    "estimated-referral-fee-per-unit",
    "estimated-variable-closing-fee",
    "estimated-order-handling-fee-per-order",
    "estimated-pick-pack-fee-per-unit",
    "estimated-weight-handling-fee-per-unit",
    "expected-fulfillment-fee-per-unit",
]
SETTLEMENT_HEADER = [
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "merchant-order-id",
    "adjustment-id",
    "shipment-id",
    "marketplace-name",
    "amount-type",
    "amount-description",
    "amount",
    "fulfillment-id",
    "posted-date",
    "posted-date-time",
    "order-item-code",
    "merchant-order-item-id",
    "merchant-adjustment-item-id",
    "sku",
    "quantity-purchased",
    "promotion-id",
]
TRANSACTIONS_HEADER = [
    "date/time",
    "settlement id",
    "type",
    "order id",
    "sku",
    "description",
    "quantity",
    "marketplace",
    "account type",
    "fulfillment",
    "order city",
    "order state",
    "order postal",
    "tax collection model",
    "product sales",
    "product sales tax",
    "shipping credits",
    "shipping credits tax",
    "gift wrap credits",
    "giftwrap credits tax",
    "Regulatory Fee",
    "Tax On Regulatory Fee",
    "promotional rebates",
    "promotional rebates tax",
    "marketplace withheld tax",
    "selling fees",
    "fba fees",
    "other transaction fees",
    "other",
    "total",
]
TRANSACTIONS_PREAMBLE = [
    "Includes Amazon Marketplace, Fulfillment by Amazon (FBA), and Amazon Webstore transactions",
    "All amounts in USD, unless specified",
    "Definitions:",
    "Sales tax collected: Includes sales tax collected from buyers for product sales, shipping, "
    "and gift wrap.",
    "Selling fees: Includes variable closing fees and referral fees.",
    "Other transaction fees: Includes shipping chargebacks, shipping holdbacks, per-item fees "
    "and sales tax collection fees.",
    'Other: Includes non-order transaction amounts. For more details, see the "Type" and '
    '"Description" columns for each order ID.',
]
ORDERS_HEADER = [
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "url",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
    "is-sold-by-ab",
]
REMOVALS_HEADER = [
    "request-date",
    "order-id",
    "order-type",
    "service-speed",
    "order-status",
    "last-updated-date",
    "sku",
    "fnsku",
    "disposition",
    "requested-quantity",
    "cancelled-quantity",
    "disposed-quantity",
    "shipped-quantity",
    "in-process-quantity",
    "removal-fee",
    "currency",
]
# The Fulfillment Inbound API's fields, and the seller's own record of when a shipment closed.
INBOUND_HEADER = [*INBOUND_API_FIELDS, "ClosedDate"]
CATALOG_HEADER = [
    "sku",
    "unit-cost",
    "currency",
    "length",
    "width",
    "height",
    "unit-of-dimension",
    "weight",
    "unit-of-weight",
    "referral-category",
]


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def write_flat(path: Path, header: list[str], rows, quote_all: bool = False) -> None:
    """Amazon's flat files: tab-separated, CRLF-free; SP-API ledger files quote every field."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        if quote_all:
            line = "\t".join('"' + h + '"' for h in header)
            f.write(line + "\n")
            for row in rows:
                f.write("\t".join('"' + text(v).replace('"', '""') + '"' for v in row) + "\n")
        else:
            f.write("\t".join(header) + "\n")
            for row in rows:
                f.write("\t".join(text(v) for v in row) + "\n")


def write_csv(path: Path, header: list[str], rows, preamble: list[str] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        for line in preamble:
            writer.writerow([line])
        writer.writerow(header)
        for row in rows:
            writer.writerow([text(v) for v in row])


# Date formats, as each report writes them.
def ledger_date(day: dt.date) -> str:
    return day.strftime("%m/%d/%Y")


def ledger_datetime(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00-0700"


def iso_utc(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def settlement_datetime(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def date_range_datetime(moment: dt.datetime) -> str:
    zone = "PDT" if 3 <= moment.month <= 10 else "PST"
    return moment.strftime(f"%b %-d, %Y %-I:%M:%S %p {zone}")


def money_with_thousands(value: Decimal) -> str:
    return f"{value:,.2f}"


def settlement_line(
    settlement_id: str,
    kind: str,
    order_id: str,
    marketplace: str,
    amount_type: str,
    description: str,
    amount,
    posted_date: str,
    posted_date_time: str,
    sku: str,
    qty,
    adjustment_id: str = "",
    shipment_id: str = "",
) -> list:
    """One transaction line of a settlement flat file (V2), in SETTLEMENT_HEADER's columns."""
    return [
        settlement_id, "", "", "", "", "", kind, order_id, "", adjustment_id, shipment_id,
        marketplace, amount_type, description, amount, "AFN", posted_date, posted_date_time,
        "", "", "", sku, qty, "",
    ]  # fmt: skip
