"""Settings: defaults, env and .env overrides, one-line errors, secrets never shown."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from cli.doctor import masked_config
from models.settings import ConfigError, load_settings, notion_id_from


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDUCTOR_HOME")
    monkeypatch.delenv("CONDUCTOR_OUTPUT_DIR")
    settings = load_settings()
    assert settings.database_url == "sqlite:///.conductor/conductor.db"
    assert settings.output_dir == Path("out")
    assert settings.blocked_statuses == ["Blocked"]
    assert settings.timezone == "UTC"
    assert str(settings.notion_base_url) == "https://api.notion.com/"
    assert settings.llm_model is None and settings.redis_url is None
    assert not settings.notion_configured and not settings.smtp_configured


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_DATABASE_URL", "postgresql+psycopg://me@db/conductor")
    monkeypatch.setenv("CONDUCTOR_BLOCKED_STATUSES", "Blocked, Waiting on vendor")
    monkeypatch.setenv("CONDUCTOR_STAKEHOLDERS", "cto@example.com,pm@example.com")
    monkeypatch.setenv("CONDUCTOR_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("CONDUCTOR_NOTION_PROPERTY_MAP", '{"points": "Estimate", "sprint": "Cycle"}')
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://me@db/conductor"
    assert settings.blocked_statuses == ["Blocked", "Waiting on vendor"]
    assert settings.stakeholders == ["cto@example.com", "pm@example.com"]
    assert settings.tz.key == "Europe/Berlin"
    assert settings.notion_property_map == {"points": "Estimate", "sprint": "Cycle"}


def test_dotenv_file_is_read_and_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(
        "CONDUCTOR_LLM_MODEL=openai/gpt-4o-mini\nCONDUCTOR_TIMEZONE=Asia/Tokyo\n"
    )
    monkeypatch.setenv("CONDUCTOR_TIMEZONE", "America/New_York")
    settings = load_settings()
    assert settings.llm_model == "openai/gpt-4o-mini"
    assert settings.timezone == "America/New_York"


def test_notion_database_urls_become_dashed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://www.notion.so/acme/Tickets-0123456789abcdef0123456789ABCDEF?v=fedcba9876543210fedcba9876543210"
    monkeypatch.setenv("CONDUCTOR_NOTION_TICKETS_DATABASE_ID", url)
    assert load_settings().notion_tickets_database_id == "01234567-89ab-cdef-0123-456789abcdef"
    assert (
        notion_id_from("01234567-89ab-cdef-0123-456789abcdef")
        == "01234567-89ab-cdef-0123-456789abcdef"
    )


def test_reports_page_url_becomes_a_dashed_id(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://www.notion.so/acme/Team-reports-00112233445566778899aabbccddeeff"
    monkeypatch.setenv("CONDUCTOR_NOTION_REPORTS_PAGE_ID", url)
    assert load_settings().notion_reports_page_id == "00112233-4455-6677-8899-aabbccddeeff"
    monkeypatch.setenv("CONDUCTOR_NOTION_REPORTS_PAGE_ID", "reports")
    with pytest.raises(ConfigError, match="CONDUCTOR_NOTION_REPORTS_PAGE_ID: is not a Notion id"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "CONDUCTOR_TIMEZONE",
            "Mars/Olympus",
            "CONDUCTOR_TIMEZONE: 'Mars/Olympus' is not an IANA time zone",
        ),
        ("CONDUCTOR_DATABASE_URL", "not a url", "CONDUCTOR_DATABASE_URL: is not a SQLAlchemy URL"),
        (
            "CONDUCTOR_NOTION_BASE_URL",
            "ftp://notion",
            "CONDUCTOR_NOTION_BASE_URL: URL scheme should be",
        ),
        (
            "CONDUCTOR_NOTION_PROPERTY_MAP",
            "{points: Estimate}",
            "CONDUCTOR_NOTION_PROPERTY_MAP: is not valid JSON",
        ),
        (
            "CONDUCTOR_NOTION_PROPERTY_MAP",
            '{"pointz": "Estimate"}',
            "CONDUCTOR_NOTION_PROPERTY_MAP: has unknown field(s) pointz",
        ),
        (
            "CONDUCTOR_NOTION_TICKETS_DATABASE_ID",
            "tickets",
            "CONDUCTOR_NOTION_TICKETS_DATABASE_ID: is not a Notion id or URL",
        ),
        ("CONDUCTOR_REDIS_URL", "localhost:6379", "CONDUCTOR_REDIS_URL: must start with redis://"),
        (
            "CONDUCTOR_SMTP_SECURITY",
            "tls",
            "CONDUCTOR_SMTP_SECURITY: Input should be 'starttls', 'ssl' or 'none'",
        ),
    ],
)
def test_invalid_value_fails_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as excinfo:
        load_settings()
    message = str(excinfo.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_secrets_never_appear_in_repr_logs_or_doctor_config(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = {
        "CONDUCTOR_NOTION_TOKEN": "ntn_supersecret_token_1",
        "CONDUCTOR_LLM_API_KEY": "sk-supersecret-key-2",
        "CONDUCTOR_SMTP_PASSWORD": "hunter2-supersecret-3",
        "CONDUCTOR_API_TOKEN": "api-supersecret-4",
        "CONDUCTOR_DATABASE_URL": "postgresql+psycopg://bob:db-supersecret-5@db/conductor",
        "CONDUCTOR_REDIS_URL": "redis://:redis-supersecret-6@cache:6379/0",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("conductor.test").info("settings: %s", settings)
    rendered = [repr(settings), str(settings), caplog.text, json.dumps(masked_config(settings))]
    # The secrets themselves, and the passwords inside the two connection URLs.
    markers = [v for k, v in secrets.items() if not k.endswith("_URL")]
    markers += ["db-supersecret-5", "redis-supersecret-6"]
    for text in rendered:
        for marker in markers:
            assert marker not in text, f"{marker} leaked"
    assert masked_config(settings)["CONDUCTOR_NOTION_TOKEN"] == "**********"
    assert (
        masked_config(settings)["CONDUCTOR_DATABASE_URL"]
        == "postgresql+psycopg://bob:***@db/conductor"
    )
    assert masked_config(settings)["CONDUCTOR_REDIS_URL"] == "redis://:***@cache:6379/0"
    assert settings.notion_token is not None
    assert settings.notion_token.get_secret_value() == secrets["CONDUCTOR_NOTION_TOKEN"]
