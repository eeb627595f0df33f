"""Fixtures for the agent API tests: a Notion sandbox synced into `db_url` (both backends, from
tests/conftest.py), settings with a known token, and a TestClient on `create_app`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api import create_app
from models.db import get_engine
from models.settings import Settings, load_settings
from sandbox.sample import build_sample_workspace
from sandbox.server import Sandbox, start_sandbox
from tasks.notion.client import NotionGateway
from tasks.notion.sync import run_sync
from tests.factories import SAMPLE_TODAY

TOKEN = "api-token-0123456789-SECRET"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(build_sample_workspace(SAMPLE_TODAY, n_tickets=150)) as server:
        yield server


@pytest.fixture
def settings(sandbox: Sandbox, db_url: str) -> Settings:
    values = load_settings(
        notion_token=sandbox.token,
        notion_base_url=sandbox.base_url,
        notion_tickets_database_id=sandbox.tickets_database_id,
        notion_sprints_database_id=sandbox.sprints_database_id,
        database_url=db_url,
        api_token=TOKEN,
    )
    with (
        Session(get_engine(db_url)) as session,
        NotionGateway.from_settings(values, rps=None) as notion,
    ):
        run_sync(session, notion, values)
    return values


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))
