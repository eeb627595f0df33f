"""Conductor's configuration: one `Settings` object read from `CONDUCTOR_*` env vars and `.env`.

Every variable of docs/design.md §2 lives here. Secrets are `SecretStr` so they never show up in a
`repr`, a log line or `conductor doctor`. Invalid values fail at start-up with a `ConfigError`
whose message is one line naming the variable and the fix.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from models import notify_urls
from models.errors import ConductorError

ENV_PREFIX = "CONDUCTOR_"
NOTION_PUBLIC_API = "https://api.notion.com"

#: Our ticket fields, in the order the mapping detects them (the title first).
TICKET_FIELDS = (
    "title",
    "status",
    "points",
    "assignees",
    "sprint",
    "priority",
    "tags",
    "due",
    "key",
    "description",
)

#: Our field names that `CONDUCTOR_NOTION_PROPERTY_MAP` may map to Notion property names.
MAPPABLE_FIELDS = frozenset({*TICKET_FIELDS, "sprint_dates", "sprint_status"})

#: What `CONDUCTOR_STATUS_CATEGORIES` may map a status to (the values of `models.tickets`).
STATUS_CATEGORY_NAMES = ("todo", "in_progress", "complete", "canceled")

#: Status names that mean "abandoned, not done" unless `CONDUCTOR_CANCELED_STATUSES` says otherwise.
DEFAULT_CANCELED_STATUSES = (
    "Won't do",
    "Won't fix",
    "Canceled",
    "Cancelled",
    "Duplicate",
    "Obsolete",
)

#: A property map value: one property name, or for `sprint_dates` a `[start, end]` pair of names.
PropertyRef = str | tuple[str, str]

_UUID_IN_TEXT = re.compile(
    r"([0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})", re.I
)


class ConfigError(ConductorError):
    """A configuration problem a user can fix; the message is one line naming the variable."""


def notion_id_from(value: str) -> str:
    """Return the dashed UUID inside a Notion id or URL (`https://notion.so/Tickets-<32 hex>?v=…`).

    Notion accepts ids with or without dashes; we store the dashed form so ids compare equal.
    """
    path = value.split("?", 1)[0]
    matches = _UUID_IN_TEXT.findall(path)
    if not matches:
        raise ValueError("is not a Notion id or URL (expected 32 hex digits)")
    raw = matches[-1].replace("-", "").lower()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def _comma_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return [str(item).strip() for item in value if str(item).strip()]


CommaList = Annotated[list[str], NoDecode]


def _json_object(value: Any, example: str) -> dict[str, Any]:
    """A JSON object setting (env text or an already-parsed dict); empty → `{}`."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON ({exc.msg}); expected e.g. {example}") from None
    if not isinstance(value, dict):
        raise ValueError(f"must be a JSON object, e.g. {example}")
    return value


#: Settings holding connection URLs that may embed a password.
URL_FIELDS = frozenset({"database_url", "redis_url"})


class Settings(BaseSettings):
    """Effective configuration. Construct through `get_settings()` so errors become `ConfigError`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    home: Path = Path(".conductor")
    database_url: str = ""
    output_dir: Path = Path("out")
    redis_url: str | None = None

    notion_token: SecretStr | None = None
    notion_base_url: AnyHttpUrl = AnyHttpUrl(NOTION_PUBLIC_API)
    notion_tickets_database_id: str | None = None
    notion_sprints_database_id: str | None = None
    notion_tickets_data_source_id: str | None = None
    notion_reports_page_id: str | None = None
    notion_property_map: Annotated[dict[str, PropertyRef], NoDecode] = Field(default_factory=dict)
    notion_rate_limit_rps: float = Field(default=3.0, gt=0)
    notion_lookback_minutes: int = Field(default=2, ge=1)
    notion_full_scan_hours: float = Field(default=24.0, ge=0)
    notion_shared_rate_limit: bool = False
    blocked_statuses: CommaList = Field(default_factory=lambda: ["Blocked"])
    status_categories: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    canceled_statuses: CommaList = Field(default_factory=lambda: list(DEFAULT_CANCELED_STATUSES))

    llm_model: str | None = None
    llm_api_base: AnyHttpUrl | None = None
    llm_api_key: SecretStr | None = None
    llm_fallback_models: CommaList = Field(default_factory=list)
    llm_timeout_s: float = Field(default=60.0, gt=0)

    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    email_from: str = "conductor@localhost"
    stakeholders: CommaList = Field(default_factory=list)
    alert_email: str | None = None
    notify_urls: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)

    timezone: str = "UTC"
    embedding_model: str | None = None
    api_token: SecretStr | None = None

    @field_validator(
        "blocked_statuses",
        "canceled_statuses",
        "llm_fallback_models",
        "stakeholders",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: Any) -> list[str]:
        return _comma_list(value)

    @field_validator("notify_urls", mode="before")
    @classmethod
    def _parse_notify_urls(cls, value: Any) -> list[SecretStr]:
        """Apprise URLs, split the way Apprise splits them (commas and spaces, but not a comma
        inside a query such as `?to=a@x.org,b@x.org`). Each URL must name a service Apprise
        knows and parse for it, so a typo stops start-up instead of the first post; the error
        names the entry by its position and scheme only, since a URL holds the service's token.
        """
        urls = notify_urls.split_urls(value)
        notify_urls.check_all(urls)
        return [SecretStr(url) for url in urls]

    @field_validator(
        "notion_tickets_database_id",
        "notion_sprints_database_id",
        "notion_tickets_data_source_id",
        "notion_reports_page_id",
        mode="before",
    )
    @classmethod
    def _normalise_notion_id(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        return notion_id_from(str(value))

    @field_validator("notion_property_map", mode="before")
    @classmethod
    def _parse_property_map(cls, value: Any) -> dict[str, PropertyRef]:
        """Field → property name; `sprint_dates` may also be a `[start, end]` pair of names."""
        value = _json_object(value, '{"points": "Estimate"}')
        unknown = sorted(set(value) - MAPPABLE_FIELDS)
        if unknown:
            raise ValueError(
                f"has unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(MAPPABLE_FIELDS))}"
            )
        parsed: dict[str, PropertyRef] = {}
        for our_field, name in value.items():
            if isinstance(name, str):
                parsed[our_field] = name
            elif (
                our_field == "sprint_dates"
                and isinstance(name, list)
                and len(name) == 2
                and all(isinstance(n, str) and n for n in name)
            ):
                parsed[our_field] = (name[0], name[1])
            else:
                raise ValueError(
                    f"maps {our_field!r} to {json.dumps(name)}; give a property name"
                    + (
                        ' or a ["Start", "End"] pair of date properties'
                        if our_field == "sprint_dates"
                        else ""
                    )
                )
        return parsed

    @field_validator("status_categories", mode="before")
    @classmethod
    def _parse_status_categories(cls, value: Any) -> dict[str, str]:
        """Status name → one of `STATUS_CATEGORY_NAMES` (names are matched case-insensitively)."""
        value = _json_object(value, '{"Shipped": "complete", "Parked": "canceled"}')
        for status, category in value.items():
            if category not in STATUS_CATEGORY_NAMES:
                raise ValueError(
                    f"maps {status!r} to {json.dumps(category)}; use one of "
                    f"{', '.join(STATUS_CATEGORY_NAMES)}"
                )
        return dict(value)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        if not value:
            return ""
        from sqlalchemy.engine import make_url  # here: `conductor --help` needs no SQLAlchemy
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a SQLAlchemy URL such as postgresql+psycopg://user@host/db"
            ) from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _valid_redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _default_database_url(self) -> Settings:
        """Default to SQLite under `home`, so a fresh install needs no database server."""
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.home / 'conductor.db').as_posix()}"
        return self

    def __repr_args__(self) -> Any:
        """`repr()` masks passwords inside connection URLs too (SecretStr covers the rest)."""
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name in URL_FIELDS else value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def notion_configured(self) -> bool:
        return bool(
            self.notion_token
            and self.notion_tickets_database_id
            and self.notion_sprints_database_id
        )

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def outbox_dir(self) -> Path:
        return self.output_dir / "outbox"


def redact_url(url: str | None) -> str | None:
    """A connection URL with its password masked (`postgresql://me:***@db/x`), for display."""
    if not url:
        return url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _env_name(loc: tuple[Any, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    if field.upper().startswith(ENV_PREFIX):
        return field.upper()
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Build `Settings` from env/.env (plus overrides), turning validation errors into one line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ConfigError(f"{_env_name(first.get('loc', ()))}: {message}") from None
    except SettingsError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None


@lru_cache(maxsize=1)
def _from_environment() -> Settings:
    return load_settings()


_in_use: list[Settings] = []


def get_settings() -> Settings:
    """The process's settings: the environment's (read once), or the ones `settings_in_use` set.

    Read at the edges (CLI commands, flows, the API) and passed down; logic takes `Settings`.
    """
    return _in_use[-1] if _in_use else _from_environment()


def reload_settings() -> None:
    """Forget the environment's settings read so far, so the next read sees env edits (tests)."""
    _from_environment.cache_clear()


@contextmanager
def settings_in_use(settings: Settings) -> Iterator[Settings]:
    """Run a block (and every flow it starts in this process) with `settings`.

    This is how `conductor demo` points the pipeline at its sandbox without editing
    `os.environ`, which every thread and child process would see and which a crash would leave
    changed.
    """
    _in_use.append(settings)
    try:
        yield settings
    finally:
        _in_use.remove(settings)


def apply_process_defaults() -> None:
    """Environment defaults that must be in place before Prefect is imported.

    - Prefect keeps its state (and the ephemeral API's database) under `CONDUCTOR_HOME/prefect`,
      so `conductor server` later shows the runs the CLI made; analytics stay off (offline
      machines otherwise hit "database is locked"), and the ephemeral API gets time to start.
    Values the user set explicitly are kept.
    """
    try:
        home = load_settings().home.resolve()  # honours CONDUCTOR_HOME from `.env` too
    except ConfigError:  # reported properly when the command reads its settings
        home = Path(os.environ.get("CONDUCTOR_HOME", ".conductor")).resolve()
    defaults = {
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    # Prefect creates PREFECT_HOME without parents; make sure it can.
    Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
