"""A fake Amazon on 127.0.0.1 for every fetch test, and a recorder instead of sleeping."""

from __future__ import annotations

import logging
import time

import pytest
from sp_api.auth import access_token_client

from tests.conftest import SAMPLES
from tests.fetch.fake_amazon import FakeAmazon, Seller

SELLER = Seller.from_folder(SAMPLES)
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise


@pytest.fixture
def amazon(httpserver, monkeypatch):
    """The sample seller's Amazon, its credentials in the environment. `amazon.slept` lists
    every wait fetch asked for; none is slept."""
    access_token_client.cache.clear()
    fake = FakeAmazon(httpserver, SELLER)
    for variable in ("FBA_AUDIT_CREDENTIALS", "SP_API_DEFAULT_MARKETPLACE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    for variable, value in fake.environment().items():
        monkeypatch.setenv(variable, value)
    fake.slept = []
    monkeypatch.setattr(time, "sleep", fake.slept.append)
    return fake
