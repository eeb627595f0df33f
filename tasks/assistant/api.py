"""The agent HTTP API (FastAPI): read endpoints over the stored data, search and grounded chat.

Build it with `create_app(settings)`; `conductor api` serves it with uvicorn. Every endpoint
requires `Authorization: Bearer $CONDUCTOR_API_TOKEN` (compared in constant time) unless the
app was built with `require_auth=False`, which `check_bind` only allows on a loopback address.
Handlers are sync functions (FastAPI runs them in its thread pool) with one DB session each.
Errors users can act on come back as `{"detail": "<one line>"}` with a fitting status; invalid
input is a 422 whose `message` names the field.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, select

from models import Person, Summary, TicketAssignee, clock
from models.db import get_engine
from models.errors import ConductorError
from models.queries import load_tickets
from models.settings import ConfigError, Settings
from models.sprints import SprintNotFoundError, find_sprint
from tasks.assistant import chat
from tasks.assistant.embeddings import EmbeddingError, embed_texts, embed_tickets
from tasks.assistant.search import DEFAULT_LIMIT, MAX_LIMIT, search_response, search_tickets
from tasks.llm.gateway import LlmUnavailableError

API_TITLE = "Conductor agent API"
#: Paths served without the token: the OpenAPI docs (they describe the API, they expose no data).
PUBLIC_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"})
UNAUTHORISED = "missing or wrong bearer token (Authorization: Bearer $CONDUCTOR_API_TOKEN)"
#: Texts one `POST /ai/embedding` may embed.
MAX_EMBED_TEXTS = 64


class ChatRequest(BaseModel):
    message: str = Field(min_length=1, max_length=4_000, description="The question to answer.")
    thread_id: str | None = Field(
        default=None, max_length=36, description="Continue this thread; omit to start one."
    )

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class ThreadCreate(BaseModel):
    title: str = Field(default="", max_length=200)


class EmbeddingRequest(BaseModel):
    input: list[Annotated[str, Field(min_length=1, max_length=8_000)]] = Field(
        min_length=1, max_length=MAX_EMBED_TEXTS, description="Texts to embed."
    )


_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer $CONDUCTOR_API_TOKEN")


def _declare_bearer(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Declares the bearer scheme in OpenAPI (the Authorize button of /docs).

    Enforcement is the app's middleware: it runs before body validation, so a caller without
    the token gets a 401, never a 422 describing the schema.
    """


def _session(request: Request) -> Iterator[Session]:
    """One session per request on the app's database."""
    settings: Settings = request.app.state.settings
    with Session(get_engine(settings.database_url), expire_on_commit=False) as session:
        yield session


DB = Annotated[Session, Depends(_session)]


def check_bind(host: str, *, require_auth: bool, settings: Settings) -> None:
    """Refuse to serve without auth off loopback, and with auth but no token configured."""
    if not require_auth:
        if not _is_loopback(host):
            raise ConfigError(
                f"--no-auth is only allowed on a loopback address (127.0.0.1, ::1, localhost), "
                f"not {host}: set CONDUCTOR_API_TOKEN instead"
            )
        return
    if not settings.api_token or not settings.api_token.get_secret_value():
        raise ConfigError(
            "CONDUCTOR_API_TOKEN is not set: set it to a long random string "
            "(or pass --no-auth on 127.0.0.1 for local use)"
        )


def create_app(settings: Settings, *, require_auth: bool = True) -> FastAPI:
    """The API bound to `settings`. Raises `ConfigError` when auth is required but no token is set."""
    if require_auth:
        check_bind("127.0.0.1", require_auth=True, settings=settings)
    token = settings.api_token.get_secret_value().encode() if settings.api_token else b""
    app = FastAPI(
        title=API_TITLE,
        description="Sprint status, tickets, people, summaries, search and grounded chat.",
        dependencies=[Depends(_declare_bearer)],
    )
    app.state.settings = settings
    _install_error_handlers(app)

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Any:
        if require_auth and request.url.path not in PUBLIC_PATHS:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(
                given.strip().encode(), token
            ):
                return JSONResponse(
                    {"detail": UNAUTHORISED},
                    status_code=status.HTTP_401_UNAUTHORIZED,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await call_next(request)

    @app.get("/health", tags=["status"])
    def health() -> JSONResponse:
        """Reachability of every dependency (the checks of `conductor doctor`)."""
        from tasks.health import ERROR, run_checks

        checks = [check.as_dict() for check in run_checks(settings)]
        database_down = any(c["name"] == "database" and c["state"] == ERROR for c in checks)
        degraded = any(c["state"] == ERROR for c in checks)
        return JSONResponse(
            {"status": "degraded" if degraded else "ok", "checks": checks},
            status_code=503 if database_down else 200,
        )

    @app.get("/sprint/current", tags=["sprints"])
    def current_sprint(session: DB) -> dict[str, Any]:
        """The current sprint report (DESIGN §3 `sprint --json` shape)."""
        from tasks.metrics.report import sprint_report

        today = clock.local_today(settings.tz)
        sprint = find_sprint(session, "current", today)
        if sprint is None:
            raise HTTPException(404, "no sprints stored yet: run `conductor ingest` first")
        return sprint_report(session, sprint, today, settings)

    @app.get("/users", tags=["people"])
    def users(session: DB) -> list[dict[str, Any]]:
        """People (DESIGN §3 `users --json` shape)."""
        people = session.exec(select(Person).order_by(Person.name)).all()
        return [{"id": p.id, "name": p.name, "email": p.email, "type": p.type} for p in people]

    @app.get("/tickets", tags=["tickets"])
    def tickets(
        session: DB,
        sprint: Annotated[str | None, Query(description="`current` or a sprint name")] = None,
        status_: Annotated[str | None, Query(alias="status", description="status name")] = None,
        assignee: Annotated[
            str | None, Query(description="person id, name, first name or email")
        ] = None,
    ) -> list[dict[str, Any]]:
        """Stored tickets (DESIGN §3 `tickets --json` shape), optionally filtered."""
        rows = load_tickets(session, sprint, status_)
        if assignee:
            wanted = _people_matching(session, assignee)
            if not wanted:
                raise HTTPException(404, f"no person matches {assignee!r}: see GET /users")
            rows = [row for row in rows if wanted & set(row["assignee_ids"])]
        return rows

    @app.get("/summaries/latest", tags=["summaries"])
    def latest_summary(session: DB) -> dict[str, Any]:
        """The most recent daily summary (DESIGN §3 `summary --json` shape)."""
        found = session.exec(
            select(Summary).order_by(Summary.day.desc(), Summary.id.desc()).limit(1)  # type: ignore[attr-defined,union-attr]
        ).first()
        if found is None:
            raise HTTPException(404, "no summary yet: run `conductor summary`")
        return {
            "date": found.day.isoformat(),
            "text": found.text,
            "generated_by": found.generated_by,
            "facts": found.facts,
            "prompt_tokens": found.prompt_tokens,
            "completion_tokens": found.completion_tokens,
            "cost_usd": found.cost_usd,
            "cached": found.cached,
        }

    @app.get("/search", tags=["assistant"])
    def search(
        session: DB,
        q: Annotated[str, Query(min_length=1, max_length=500, description="search text")],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        """Semantic search when an embedding model is configured, else full-text."""
        mode, hits = search_tickets(session, settings, q, limit=limit)
        return search_response(mode, hits)

    @app.post("/ai/chat", tags=["assistant"])
    def ai_chat(body: ChatRequest, session: DB) -> dict[str, Any]:
        """A grounded answer citing ticket keys; pass `thread_id` to continue a thread."""
        return chat.answer_question(session, settings, body.message, thread_id=body.thread_id)

    @app.post("/ai/embedding", tags=["assistant"])
    def ai_embedding(body: EmbeddingRequest) -> dict[str, Any]:
        """Embed texts with CONDUCTOR_EMBEDDING_MODEL (for agents doing their own retrieval)."""
        result = embed_texts(body.input, settings)
        return {
            "model": result.model,
            "dims": len(result.vectors[0]) if result.vectors else 0,
            "embeddings": result.vectors,
            "prompt_tokens": result.prompt_tokens,
            "cost_usd": result.cost_usd,
        }

    @app.post("/ai/embedding/tickets", tags=["assistant"])
    def ai_embed_tickets(session: DB) -> dict[str, Any]:
        """Embed every ticket whose text changed: `{"embedded", "skipped", "cost_usd"}`."""
        return embed_tickets(session, settings)

    @app.post("/chat/threads", status_code=201, tags=["chat"])
    def create_thread(session: DB, body: ThreadCreate | None = None) -> dict[str, Any]:
        thread = chat.create_thread(session, body.title if body else "")
        return chat.thread_json(thread, message_count=0)

    @app.get("/chat/threads", tags=["chat"])
    def list_threads(session: DB) -> list[dict[str, Any]]:
        return chat.list_threads(session)

    @app.get("/chat/threads/{thread_id}", tags=["chat"])
    def get_thread(thread_id: str, session: DB) -> dict[str, Any]:
        thread = chat.get_thread(session, thread_id)
        messages = chat.thread_messages(session, thread_id)
        return chat.thread_json(
            thread,
            message_count=len(messages),
            messages=[chat.message_json(m) for m in messages],
        )

    @app.delete("/chat/threads/{thread_id}", status_code=204, tags=["chat"])
    def delete_thread(thread_id: str, session: DB) -> Response:
        chat.delete_thread(session, thread_id)
        return Response(status_code=204)

    return app


def _people_matching(session: Session, who: str) -> set[str]:
    """Ids of people whose id, name, first name or email equals `who` (case-insensitive)."""
    wanted = who.strip().casefold()
    ids = set()
    for person in session.exec(select(Person)).all():
        names = {person.id.casefold(), person.name.casefold(), (person.email or "").casefold()}
        first = person.name.split()[0].casefold() if person.name.split() else ""
        if wanted in names or wanted == first:
            ids.add(person.id)
    if not ids:
        # A ticket may carry an id of someone never listed; match raw ids too.
        linked = session.exec(select(TicketAssignee.person_id).distinct()).all()
        ids = {pid for pid in linked if pid.casefold() == wanted}
    return ids


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"]) or "request"
        return JSONResponse(
            {"message": f"{where}: {first['msg']}", "detail": errors}, status_code=422
        )

    @app.exception_handler(ConductorError)
    def _conductor_error(request: Request, exc: ConductorError) -> JSONResponse:
        code = 400
        if isinstance(exc, chat.ThreadNotFoundError | SprintNotFoundError):
            code = 404
        elif isinstance(exc, EmbeddingError | LlmUnavailableError):
            code = 503
        return JSONResponse({"detail": str(exc)}, status_code=code)


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
