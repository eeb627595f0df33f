"""Fixtures for the agent API tests: a Notion sandbox synced into `db_url` (both backends, from
tests/conftest.py), settings with a known token, and a TestClient on `create_app`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import create_app
from models.settings import Settings
from sandbox.server import Sandbox
from tests.sandboxes import synced

TOKEN = "api-token-0123456789-SECRET"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(sandbox: Sandbox, db_url: str) -> Settings:
    """The root conftest's `sandbox` (150 tickets), synced into `db_url`."""
    return synced(sandbox, db_url, api_token=TOKEN)


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))
