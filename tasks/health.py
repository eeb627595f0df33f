"""Reachability checks of every configured dependency, for `conductor doctor` and `/health`.

Each check returns a `Check` with a state — `ok`, `not_configured` or `error` — a short detail,
and for errors the fix. Checks are quick (a few seconds' timeout) and never print secrets.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import asdict, dataclass

import httpx
from sqlalchemy import text

from models.settings import Settings, redact_url

OK, NOT_CONFIGURED, ERROR = "ok", "not_configured", "error"
TIMEOUT_S = 5.0
NOTION_VERSION = "2025-09-03"


@dataclass(frozen=True)
class Check:
    name: str
    state: str
    detail: str = ""
    fix: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _first_line(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip()
    return (text_.splitlines() or [type(exc).__name__])[0][:200]


def check_database(settings: Settings) -> Check:
    from models.db import create_db_engine, current_revision, head_revision

    where = redact_url(settings.database_url)
    engine = None
    try:  # creating the engine fails too for an unknown dialect or a missing driver
        engine = create_db_engine(settings.database_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision, head = current_revision(engine), head_revision()
    except Exception as exc:  # any driver error is a reachability failure here
        return Check(
            "database",
            ERROR,
            f"{where}: {_first_line(exc)}",
            "check CONDUCTOR_DATABASE_URL and that the database server is running",
        )
    finally:
        if engine is not None:
            engine.dispose()
    if revision != head:
        return Check(
            "database",
            OK,
            f"{where} (schema {revision or 'empty'}, will migrate to {head} on first use)",
        )
    return Check("database", OK, f"{where} (schema {revision})")


def redis_reachable(url: str, timeout_s: float = 1.0) -> bool:
    """Whether Redis at `url` answers a ping in time (caches fall back to files when not)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def check_redis(settings: Settings) -> Check:
    if not settings.redis_url:
        return Check("redis", NOT_CONFIGURED, "caches and locks use local files")
    import redis

    where = redact_url(settings.redis_url) if "://" in settings.redis_url else "redis"
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return Check(
            "redis",
            ERROR,
            f"{where}: {_first_line(exc)}",
            "start Redis or unset CONDUCTOR_REDIS_URL (Conductor then falls back to local files)",
        )
    finally:
        client.close()
    return Check("redis", OK, where)


#: How long the pre-flight waits for Notion: long enough for its slowest normal answer, short
#: enough that an unreachable Notion fails a command in seconds, not after every retry.
PREFLIGHT_TIMEOUT_S = 5.0


def notion_preflight_problem(settings: Settings) -> str | None:
    """One request (`GET /v1/users/me`) before a sync starts: the one-line error when the token
    is rejected or Notion does not answer, else None.

    The sync would find both out too, but only after Prefect has started and its retries have
    run out (38 s for an unreachable host, 12 log lines for a wrong token); anything else
    (a database not shared, a 5xx) is left to the sync, which retries or names the fix.
    """
    if not settings.notion_token:
        return None
    base = str(settings.notion_base_url).rstrip("/")
    headers = {
        "Authorization": f"Bearer {settings.notion_token.get_secret_value()}",
        "Notion-Version": NOTION_VERSION,
    }
    try:
        response = httpx.get(f"{base}/v1/users/me", headers=headers, timeout=PREFLIGHT_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return (
            f"cannot reach Notion at {base} ({_first_line(exc)}): check the network, "
            "or CONDUCTOR_NOTION_BASE_URL"
        )
    if response.status_code == 401:
        return (
            "Notion rejected CONDUCTOR_NOTION_TOKEN (401): copy the integration's token "
            "from notion.so/profile/integrations"
        )
    return None


def check_notion(settings: Settings) -> Check:
    if not settings.notion_token:
        return Check(
            "notion",
            NOT_CONFIGURED,
            "no CONDUCTOR_NOTION_TOKEN (`conductor demo` uses the bundled sandbox)",
        )
    base = str(settings.notion_base_url).rstrip("/")
    headers = {
        "Authorization": f"Bearer {settings.notion_token.get_secret_value()}",
        "Notion-Version": NOTION_VERSION,
    }
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=TIMEOUT_S) as client:
            me = client.get("/v1/users/me")
            if me.status_code == 401:
                return Check(
                    "notion", ERROR, "token rejected (401)", "check CONDUCTOR_NOTION_TOKEN"
                )
            me.raise_for_status()
            missing = []
            for var, db_id in (
                ("CONDUCTOR_NOTION_TICKETS_DATABASE_ID", settings.notion_tickets_database_id),
                ("CONDUCTOR_NOTION_SPRINTS_DATABASE_ID", settings.notion_sprints_database_id),
            ):
                if not db_id:
                    missing.append(f"{var} is not set")
                    continue
                response = client.get(f"/v1/databases/{db_id}")
                if response.status_code in (403, 404):
                    missing.append(f"{var}: not found — share the database with the integration")
                else:
                    response.raise_for_status()
    except httpx.HTTPError as exc:
        return Check(
            "notion",
            ERROR,
            f"{base}: {_first_line(exc)}",
            "check network access to Notion or CONDUCTOR_NOTION_BASE_URL",
        )
    bot = me.json().get("name") or "integration"
    if missing:
        return Check(
            "notion",
            ERROR,
            f"{base} as {bot}; " + "; ".join(missing),
            missing[0].split(": ", 1)[-1],
        )
    return Check("notion", OK, f"{base} as {bot}; both databases shared")


_PROVIDER_BASES = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com/v1",
    "ollama": "http://localhost:11434",
}


def llm_probe_url(model: str, api_base: str | None) -> str | None:
    """The URL that tells whether the model's endpoint answers (model list where there is one)."""
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    base = (api_base or _PROVIDER_BASES.get(provider, "")).rstrip("/")
    if not base:
        return None
    if provider == "ollama":
        return f"{base}/api/tags"
    return f"{base}/models"


def check_llm(settings: Settings) -> Check:
    if not settings.llm_model:
        return Check(
            "llm", NOT_CONFIGURED, "no CONDUCTOR_LLM_MODEL: summaries use the labelled template"
        )
    url = llm_probe_url(
        settings.llm_model, str(settings.llm_api_base) if settings.llm_api_base else None
    )
    if url is None:
        return Check("llm", OK, f"{settings.llm_model} (endpoint chosen by LiteLLM; not probed)")
    headers = {}
    if settings.llm_api_key:
        headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
    try:
        response = httpx.get(url, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        return Check(
            "llm",
            ERROR,
            f"{settings.llm_model}: {url} unreachable ({_first_line(exc)})",
            "check CONDUCTOR_LLM_API_BASE or start the model server",
        )
    if response.status_code in (401, 403):
        return Check(
            "llm",
            ERROR,
            f"{settings.llm_model}: key rejected ({response.status_code})",
            "check CONDUCTOR_LLM_API_KEY",
        )
    detail = f"{settings.llm_model} via {url.rsplit('/', 1)[0]}"
    models = _listed_models(response)
    if models:
        detail += f"; serves: {', '.join(models[:10])}"
    return Check("llm", OK, detail)


def _listed_models(response: httpx.Response) -> list[str]:
    """Model names from an OpenAI `/models` or Ollama `/api/tags` answer (empty if neither)."""
    try:
        body = response.json()
    except ValueError:
        return []
    if isinstance(body, dict) and isinstance(body.get("models"), list):
        return [str(m.get("name")) for m in body["models"] if isinstance(m, dict)]
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return [str(m.get("id")) for m in body["data"] if isinstance(m, dict)]
    return []


def check_smtp(settings: Settings) -> Check:
    if not settings.smtp_host:
        return Check("smtp", NOT_CONFIGURED, f"emails are written to {settings.outbox_dir}")
    port = settings.smtp_port or {"ssl": 465, "starttls": 587, "none": 25}[settings.smtp_security]
    where = f"{settings.smtp_host}:{port} ({settings.smtp_security})"
    try:
        if settings.smtp_security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, port, timeout=TIMEOUT_S, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(settings.smtp_host, port, timeout=TIMEOUT_S)
        with server:
            server.ehlo()
            if settings.smtp_security == "starttls":
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if settings.smtp_username and settings.smtp_password:
                server.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    except (OSError, smtplib.SMTPException) as exc:
        return Check(
            "smtp",
            ERROR,
            f"{where}: {_first_line(exc)}",
            "check CONDUCTOR_SMTP_HOST/_PORT/_SECURITY and credentials",
        )
    return Check("smtp", OK, where)


def prefect_api_url() -> str | None:
    """The Prefect API flows report to, as Prefect itself resolves it (environment, `.env`,
    profile); None means runs use a temporary local API."""
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url:
        return api_url
    try:
        from prefect.settings import PREFECT_API_URL

        return PREFECT_API_URL.value() or None
    except Exception:  # Prefect settings unreadable: treat as unset
        return None


def check_prefect(settings: Settings) -> Check:
    api_url = prefect_api_url()
    if not api_url:
        return Check(
            "prefect",
            NOT_CONFIGURED,
            "no PREFECT_API_URL: runs use a temporary local API; `conductor server` starts the UI",
        )
    base = api_url.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=TIMEOUT_S) as client:
            client.get("/health").raise_for_status()
            pools = client.post("/work_pools/filter", json={}).json()
            deployments = client.post("/deployments/count", json={}).json()
    except (httpx.HTTPError, ValueError) as exc:
        return Check(
            "prefect",
            ERROR,
            f"{api_url}: {_first_line(exc)}",
            "start it with `conductor server` or fix PREFECT_API_URL",
        )
    return Check("prefect", OK, f"{api_url}; {deployments} deployments; {work_pool_summary(pools)}")


def work_pool_summary(pools: list[dict]) -> str:
    """`work pools: conductor (process, READY)` — what a scale-out setup needs to see."""
    if not pools:
        return "no work pools (`conductor serve` needs none; workers need `prefect work-pool create conductor --type process`)"
    described = ", ".join(
        f"{pool.get('name')} ({pool.get('type')}, {pool.get('status') or 'unknown'})"
        for pool in pools
    )
    return f"work pools: {described}"


def check_chat(settings: Settings) -> list[Check]:
    """One check per `CONDUCTOR_NOTIFY_URLS` entry: which service it is, its redacted URL and
    whether posts to it are Markdown or plain text. Nothing is posted (a test message in every
    channel each time someone runs doctor would be noise), so `ok` means "Apprise can use this
    URL", not "the service answered". Settings already refuse a URL Apprise cannot parse;
    this re-check covers settings built some other way."""
    from tasks.notify.targets import describe_urls

    checks = []
    for row in describe_urls(settings):
        name = f"chat {row['entry']}"
        if row["ok"]:
            detail = f"{row['service']}: {row['url']} ({row['format']})"
            checks.append(Check(name, OK, detail))
        else:
            checks.append(Check(name, ERROR, row["error"], "fix entry in CONDUCTOR_NOTIFY_URLS"))
    return checks


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_database,
    check_redis,
    check_notion,
    check_llm,
    check_smtp,
    check_prefect,
)


def run_checks(settings: Settings, skip: frozenset[str] | set[str] = frozenset()) -> list[Check]:
    """Every dependency check, in a stable order; `skip` names checks the caller makes itself
    (doctor, when CONDUCTOR_DATABASE_URL cannot even be read)."""
    return [
        check(settings) for check in CHECKS if check.__name__.removeprefix("check_") not in skip
    ]
