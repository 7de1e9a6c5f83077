"""Reports straight from the seller's Amazon account (Selling Partner API) into a reports
folder, in the formats the loader reads, one file per report and date range."""

from auditor.fetch.amazon import MARKETPLACES, Amazon
from auditor.fetch.credentials import Credentials, load_credentials
from auditor.fetch.errors import FetchError
from auditor.fetch.run import Outcome, fetch_reports

__all__ = [
    "MARKETPLACES",
    "Amazon",
    "Credentials",
    "FetchError",
    "Outcome",
    "fetch_reports",
    "load_credentials",
]
