"""What each Seller Central report looks like: its columns, how its header is recognised, how its
rows are keyed when the same data is downloaded twice.

Everything here is data. A loader reads it; nothing in it knows about rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

# Column kinds and the DuckDB type each becomes.
SQL_TYPES = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "money": "DECIMAL(18,4)",
    "decimal": "DECIMAL(18,6)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


def normalize_header(name: str) -> str:
    """`Event Type`, `event-type`, `"EventType"` and `event_type` all become `eventtype`."""
    name = name.strip().lstrip("\ufeff").strip().strip('"').strip("'").strip()
    return re.sub(r"[-_\s]+", "", name.casefold())


@dataclass(frozen=True)
class Column:
    name: str  # canonical snake_case name in the database
    kind: str  # a key of SQL_TYPES
    aliases: tuple[str, ...] = ()  # header spellings besides the canonical one (any locale)
    required: bool = False  # part of the header signature that identifies the report

    @cached_property
    def spellings(self) -> set[str]:
        return {normalize_header(self.name), *(normalize_header(a) for a in self.aliases)}


# How repeated downloads merge: identical ledger rows are separate events; keyed reports merge on
# their keys.
MULTISET = "multiset"  # identical rows are separate events; union keeps the max count in one file
NATURAL_KEY = "natural_key"  # a row is identified by `key`; the first one loaded is kept
SETTLEMENT = "settlement"  # a whole settlement id is loaded once; different content is a conflict
SNAPSHOT = "snapshot"  # every file is a dated snapshot (fee preview)
LATEST = "latest"  # per `key`, the row from the newest file wins (the seller's own catalog)


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    columns: tuple[Column, ...]
    merge: str
    key_columns: tuple[str, ...] = ()  # natural key, or for MULTISET the event identity
    where_to_download: str = ""
    rules: str = ""
    # Header words that make an otherwise matching header a different report.
    excludes: frozenset[str] = field(default_factory=frozenset)

    @property
    def table(self) -> str:
        return f"raw_{self.key}"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def match(self, header: list[str]) -> dict[int, Column] | None:
        """Map header positions to columns when every required column is present, else None."""
        normalized = [normalize_header(h) for h in header]
        if self.excludes & set(normalized):
            return None
        mapping: dict[int, Column] = {}
        for column in self.columns:
            for position, name in enumerate(normalized):
                if name in column.spellings and position not in mapping:
                    mapping[position] = column
                    break
        found = {c.name for c in mapping.values()}
        if all(c.name in found for c in self.columns if c.required):
            return mapping
        return None


def C(name: str, kind: str = "text", *aliases: str, required: bool = False) -> Column:
    return Column(name, kind, tuple(aliases), required)


def R(name: str, kind: str = "text", *aliases: str) -> Column:
    return Column(name, kind, tuple(aliases), True)


LEDGER = Report(
    key="ledger",
    title="Inventory Ledger (detailed view)",
    columns=(
        R("date", "date"),
        R("fnsku"),
        C("asin"),
        C("msku", "text", "sku"),
        C("title"),
        R("event_type"),
        R("reference_id"),
        R("quantity", "int"),
        C("fulfillment_center", "text", "fulfilment centre"),
        R("disposition"),
        C("reason"),
        C("country"),
        C("reconciled_quantity", "int"),
        C("unreconciled_quantity", "int"),
        C("date_and_time", "timestamp"),
        C("store"),
    ),
    merge=MULTISET,
    # Title, store and reconciliation counts change between downloads of the same day; they
    # describe an event but do not identify it.
    key_columns=(
        "date",
        "fnsku",
        "asin",
        "msku",
        "event_type",
        "reference_id",
        "quantity",
        "fulfillment_center",
        "disposition",
        "reason",
        "country",
        "date_and_time",
    ),
    where_to_download="Reports > Fulfillment > Inventory > Inventory Ledger, Detailed view "
    "(GET_LEDGER_DETAIL_VIEW_DATA)",
    rules="R02, R05, R07, R08",
)

ADJUSTMENTS = Report(
    key="adjustments",
    title="Inventory Adjustments (legacy)",
    columns=(
        R("adjusted_date", "timestamp"),
        R("transaction_item_id"),
        R("fnsku"),
        C("sku"),
        C("product_name"),
        C("fulfillment_center_id"),
        R("quantity", "int"),
        R("reason"),
        C("disposition"),
        C("reconciled", "int"),
        C("unreconciled", "int"),
    ),
    merge=MULTISET,
    key_columns=(
        "adjusted_date",
        "transaction_item_id",
        "fnsku",
        "sku",
        "fulfillment_center_id",
        "quantity",
        "reason",
        "disposition",
    ),
    where_to_download="Reports > Fulfillment > Inventory > Inventory Adjustments "
    "(GET_FBA_FULFILLMENT_INVENTORY_ADJUSTMENTS_DATA)",
    rules="R02 (when no ledger covers the period)",
)

RETURNS = Report(
    key="returns",
    title="FBA Customer Returns",
    columns=(
        R("return_date", "timestamp"),
        R("order_id"),
        C("sku"),
        C("asin"),
        R("fnsku"),
        C("product_name"),
        R("quantity", "int"),
        C("fulfillment_center_id"),
        R("detailed_disposition"),
        C("reason"),
        C("status"),
        C("license_plate_number"),
        C("customer_comments"),
    ),
    merge=NATURAL_KEY,
    key_columns=("order_id", "fnsku", "license_plate_number", "return_date"),
    where_to_download="Reports > Fulfillment > Customer Concessions > Returns "
    "(GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA)",
    rules="R03, R05, R06, R07, R09",
)

REIMBURSEMENTS = Report(
    key="reimbursements",
    title="FBA Reimbursements",
    columns=(
        R("approval_date", "timestamp"),
        R("reimbursement_id"),
        C("case_id"),
        C("amazon_order_id"),
        R("reason"),
        C("sku"),
        C("fnsku"),
        C("asin"),
        C("product_name"),
        C("condition"),
        C("currency_unit"),
        R("amount_per_unit", "money"),
        R("amount_total", "money"),
        C("quantity_reimbursed_cash", "int"),
        C("quantity_reimbursed_inventory", "int"),
        R("quantity_reimbursed_total", "int"),
        C("original_reimbursement_id"),
        C("original_reimbursement_type"),
    ),
    merge=NATURAL_KEY,
    key_columns=("reimbursement_id", "fnsku"),
    where_to_download="Reports > Fulfillment > Payments > Reimbursements "
    "(GET_FBA_REIMBURSEMENTS_DATA)",
    rules="all inventory and refund rules (what Amazon already paid)",
)

FEE_PREVIEW = Report(
    key="fee_preview",
    title="FBA Fee Preview",
    columns=(
        R("sku"),
        C("fnsku"),
        R("asin"),
        C("product_name"),
        C("product_group"),
        C("brand"),
        C("fulfilled_by"),
        C("has_local_inventory"),
        C("your_price", "money"),
        C("sales_price", "money"),
        R("longest_side", "decimal"),
        R("median_side", "decimal"),
        R("shortest_side", "decimal"),
        C("length_and_girth", "decimal"),
        C("unit_of_dimension"),
        C("item_package_weight", "decimal"),
        C("unit_of_weight"),
        C("product_size_tier", "text", "product-size-weight-band"),
        C("currency"),
        C("estimated_fee_total", "money"),
        C("estimated_referral_fee_per_unit", "money"),
        C("estimated_variable_closing_fee", "money"),
        C("estimated_order_handling_fee_per_order", "money"),
        C("estimated_pick_pack_fee_per_unit", "money"),
        C("estimated_weight_handling_fee_per_unit", "money"),
        C(
            "expected_fulfillment_fee_per_unit",
            "money",
            "expected-domestic-fulfilment-fee-per-unit",
            "expected-fulfilment-fee-per-unit",
        ),
    ),
    merge=SNAPSHOT,
    key_columns=("snapshot_date", "sku"),
    where_to_download="Reports > Fulfillment > Payments > Fee Preview "
    "(GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA)",
    rules="R01, R10",
)

SETTLEMENT_REPORT = Report(
    key="settlement",
    title="Settlement report (flat file V2)",
    columns=(
        R("settlement_id"),
        R("settlement_start_date", "timestamp"),
        C("settlement_end_date", "timestamp"),
        C("deposit_date", "timestamp"),
        C("total_amount", "money"),
        C("currency"),
        R("transaction_type"),
        C("order_id"),
        C("merchant_order_id"),
        C("adjustment_id"),
        C("shipment_id"),
        C("marketplace_name"),
        R("amount_type"),
        R("amount_description"),
        R("amount", "money"),
        C("fulfillment_id"),
        C("posted_date", "date"),
        C("posted_date_time", "timestamp"),
        C("order_item_code"),
        C("merchant_order_item_id"),
        C("merchant_adjustment_item_id"),
        C("sku"),
        C("quantity_purchased", "int"),
        C("promotion_id"),
    ),
    merge=SETTLEMENT,
    key_columns=("settlement_id",),
    where_to_download="Reports > Payments > All Statements > Download Flat File V2 "
    "(GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2)",
    rules="R01, R02-R09 valuation (net proceeds), R03, R06, R07, R10",
)

TRANSACTIONS = Report(
    key="transactions",
    title="Date Range transaction report",
    columns=(
        R(
            "date_time",
            "timestamp",
            "date/time",
            "datum/uhrzeit",
            "date/heure",
            "fecha y hora",
            "fecha/hora",
            "data/ora",
            "日付/時間",
        ),
        C(
            "settlement_id",
            "text",
            "abrechnungsnummer",
            "numéro de règlement",
            "número de liquidación",
            "numero pagamento",
            "決済番号",
        ),
        R("type", "text", "typ", "tipo", "トランザクションの種類"),
        R(
            "order_id",
            "text",
            "bestellnummer",
            "numéro de la commande",
            "número de pedido",
            "numero ordine",
            "注文番号",
        ),
        C("sku"),
        C("description", "text", "beschreibung", "descripción", "descrizione", "説明", "商品名"),
        C("quantity", "int", "menge", "quantité", "cantidad", "quantità", "数量"),
        C("marketplace", "text", "marketplace", "marché", "mercado", "マーケットプレイス"),
        C("account_type", "text", "kontotyp"),
        C(
            "fulfillment",
            "text",
            "fulfilment",
            "versand",
            "traitement",
            "gestión logística",
            "gestione",
            "フルフィルメント",
        ),
        C("order_city", "text", "ort der bestellung", "ville de la commande"),
        C("order_state", "text", "bundesland", "région"),
        C("order_postal", "text", "postleitzahl", "code postal"),
        C("tax_collection_model", "text", "steuererhebungsmodell"),
        C(
            "product_sales",
            "money",
            "umsätze",
            "ventes de produits",
            "ventas de productos",
            "vendite",
            "商品売上",
            "商品の売上",
        ),
        C("product_sales_tax", "money", "produktumsatzsteuer", "taxe sur les ventes de produits"),
        C(
            "shipping_credits",
            "money",
            "postage credits",
            "gutschrift für versandkosten",
            "crédits d'expédition",
            "abonos de envío",
            "配送料",
        ),
        C("shipping_credits_tax", "money", "postage credits tax", "steuer auf versandgutschrift"),
        C(
            "gift_wrap_credits",
            "money",
            "gutschrift für geschenkverpackung",
            "crédits cadeau",
            "ギフト包装手数料",
        ),
        C(
            "giftwrap_credits_tax",
            "money",
            "gift wrap credits tax",
            "steuer auf geschenkverpackungsgutschriften",
        ),
        C("regulatory_fee", "money"),
        C("tax_on_regulatory_fee", "money"),
        C(
            "promotional_rebates",
            "money",
            "rabatte aus werbeaktionen",
            "rabais promotionnels",
            "プロモーション割引額",
        ),
        C("promotional_rebates_tax", "money", "steuer auf aktionsrabatte"),
        C("marketplace_withheld_tax", "money", "einbehaltene steuer auf marketplace"),
        C(
            "selling_fees",
            "money",
            "verkaufsgebühren",
            "frais de vente",
            "tarifas de venta",
            "commissioni di vendita",
            "手数料",
        ),
        C(
            "fba_fees",
            "money",
            "gebühren zu versand durch amazon",
            "frais expédié par amazon",
            "tarifas de logística de amazon",
            "costi del servizio logistica di amazon",
            "fba 手数料",
        ),
        C(
            "other_transaction_fees",
            "money",
            "andere transaktionsgebühren",
            "autres frais de transaction",
            "トランザクションに関するその他の手数料",
        ),
        C("other", "money", "andere", "divers", "otro", "altro", "その他"),
        R("total", "money", "gesamt", "総合計", "合計"),
    ),
    merge=MULTISET,
    key_columns=(
        "date_time",
        "settlement_id",
        "type",
        "order_id",
        "sku",
        "description",
        "quantity",
        "product_sales",
        "shipping_credits",
        "gift_wrap_credits",
        "promotional_rebates",
        "selling_fees",
        "fba_fees",
        "other_transaction_fees",
        "other",
        "total",
    ),
    where_to_download="Reports > Payments > Date Range Reports > Generate Report > Transaction "
    "(GET_DATE_RANGE_FINANCIAL_TRANSACTION_DATA)",
    rules="R03, R06, R07 when there are no settlement files",
)

ORDERS = Report(
    key="orders",
    title="All Orders",
    columns=(
        R("amazon_order_id"),
        C("merchant_order_id"),
        R("purchase_date", "timestamp"),
        C("last_updated_date", "timestamp"),
        R("order_status"),
        R("fulfillment_channel"),
        C("sales_channel"),
        C("order_channel"),
        C("url"),
        C("ship_service_level"),
        C("product_name"),
        R("sku"),
        C("asin"),
        C("item_status"),
        C("quantity", "int"),
        C("currency"),
        R("item_price", "money"),
        C("item_tax", "money"),
        C("shipping_price", "money"),
        C("shipping_tax", "money"),
        C("gift_wrap_price", "money"),
        C("gift_wrap_tax", "money"),
        C("item_promotion_discount", "money"),
        C("ship_promotion_discount", "money"),
        C("ship_city"),
        C("ship_state"),
        C("ship_postal_code"),
        C("ship_country"),
        C("promotion_ids"),
        C("is_business_order"),
        C("purchase_order_number"),
        C("price_designation"),
        C("is_sold_by_ab"),
    ),
    merge=LATEST,
    key_columns=("amazon_order_id", "sku"),
    where_to_download="Reports > Fulfillment > Sales > All Orders "
    "(GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL)",
    rules="R03, R07 (what was ordered)",
)

REMOVALS = Report(
    key="removals",
    title="Removal Order Detail",
    columns=(
        R("request_date", "timestamp"),
        R("order_id"),
        R("order_type"),
        C("service_speed"),
        C("order_status"),
        C("last_updated_date", "timestamp"),
        C("sku"),
        C("fnsku"),
        C("disposition"),
        R("requested_quantity", "int"),
        C("cancelled_quantity", "int"),
        R("disposed_quantity", "int"),
        R("shipped_quantity", "int"),
        C("in_process_quantity", "int"),
        C("removal_fee", "money"),
        C("currency"),
    ),
    merge=NATURAL_KEY,
    key_columns=("order_id", "fnsku", "last_updated_date"),
    where_to_download="Reports > Fulfillment > Removals > Removal Order Detail "
    "(GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA)",
    rules="R02 (units removed are not lost)",
)

# The Fulfillment Inbound API's names for a shipment item's fields, which inbound exports follow.
INBOUND_API_FIELDS = (
    "ShipmentId",
    "ShipmentName",
    "ShipmentStatus",
    "SellerSKU",
    "FulfillmentNetworkSKU",
    "QuantityShipped",
    "QuantityReceived",
    "QuantityInCase",
)

INBOUND = Report(
    key="inbound",
    title="Inbound shipment items",
    columns=(
        R("shipment_id"),
        C("shipment_name"),
        R("shipment_status"),
        R("seller_sku", "text", "sku"),
        R("fnsku", "text", "fulfillment network sku"),
        R("quantity_shipped", "int"),
        R("quantity_received", "int"),
        C("quantity_in_case", "int"),
        C("closed_date", "date"),
    ),
    merge=MULTISET,
    key_columns=(
        "shipment_id",
        "shipment_name",
        "shipment_status",
        "seller_sku",
        "fnsku",
        "quantity_shipped",
        "quantity_received",
        "quantity_in_case",
        "closed_date",
    ),
    where_to_download="Send to Amazon > Shipments, exported; or the Fulfillment Inbound API "
    "(getShipments + getShipmentItems) saved as CSV/TSV",
    rules="R04, R08",
)

CATALOG = Report(
    key="catalog",
    title="Seller catalog (your own costs and dimensions)",
    columns=(
        R("sku"),
        C("unit_cost", "money"),
        C("currency"),
        C("length", "decimal"),
        C("width", "decimal"),
        C("height", "decimal"),
        C("unit_of_dimension"),
        C("weight", "decimal"),
        C("unit_of_weight"),
        C("referral_category"),
    ),
    merge=LATEST,
    key_columns=("sku",),
    where_to_download="Your own spreadsheet saved as CSV: sku, unit-cost, currency, length, "
    "width, height, unit-of-dimension, weight, unit-of-weight, referral-category",
    rules="valuation (R02, R04, R05, R08, R09), R01 true dimensions, R10 category",
)

# Values a report never has below zero. A row with one is set aside: kept out of the tables the
# rules read, counted with its file and listed in the workbook's Inputs sheet. Ledger,
# adjustment, settlement, Date Range and reimbursement amounts are signed by design.
NEVER_NEGATIVE: dict[str, tuple[str, ...]] = {
    "returns": ("quantity",),
    "orders": ("quantity",),
    "inbound": ("quantity_shipped", "quantity_received", "quantity_in_case"),
    "removals": (
        "requested_quantity",
        "cancelled_quantity",
        "disposed_quantity",
        "shipped_quantity",
        "in_process_quantity",
    ),
    "fee_preview": ("longest_side", "median_side", "shortest_side", "item_package_weight"),
    "catalog": ("unit_cost", "length", "width", "height", "weight"),
}
# The column dating an event; a row dated more than FUTURE_SLACK_DAYS after the day it is loaded
# describes something that has not happened, and is set aside. A settlement is Amazon's own
# statement and is kept whole; a fee preview's date comes from its file name.
EVENT_DATE: dict[str, str] = {
    "ledger": "date",
    "adjustments": "adjusted_date",
    "returns": "return_date",
    "reimbursements": "approval_date",
    "transactions": "date_time",
    "orders": "purchase_date",
    "removals": "request_date",
    "inbound": "closed_date",
}
FUTURE_SLACK_DAYS = 2

# Most specific first: a header is given to the first report it matches.
REPORTS: tuple[Report, ...] = (
    SETTLEMENT_REPORT,
    REIMBURSEMENTS,
    LEDGER,
    ADJUSTMENTS,
    RETURNS,
    FEE_PREVIEW,
    REMOVALS,
    ORDERS,
    INBOUND,
    TRANSACTIONS,
    CATALOG,
)
REPORTS_BY_KEY = {r.key: r for r in REPORTS}

# A catalog header needs `sku` and at least one column only the seller's catalog has.
CATALOG_MARKERS = {"unitcost", "referralcategory", "length", "width", "height", "weight"}


def identify(header: list[str]) -> tuple[Report, dict[int, Column]] | None:
    """The report a header belongs to, with its column mapping; None when it is none of ours."""
    for report in REPORTS:
        mapping = report.match(header)
        if mapping is None:
            continue
        if report is CATALOG and not CATALOG_MARKERS & {normalize_header(h) for h in header}:
            continue
        return report, mapping
    return None
