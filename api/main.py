"""Builds the agent API: its routers, error handlers and auth, bound to one `Settings`.

Every route requires `Authorization: Bearer $CONDUCTOR_API_TOKEN` (`deps.require_token`,
applied app-wide so a new router cannot forget it) unless the app was built with
`require_auth=False`, which `check_bind` only allows on a loopback address; the app then also
refuses requests a browser could make on another site's behalf (`guards.RequestGuard`). Every
request goes through the guard's size and content-type checks before routing, and through
`deps.reject_nul_characters` before its route runs. Handlers are sync
functions (FastAPI runs them in its thread pool) with one DB session each. Errors users can act
on come back as `{"detail": "<one line>"}` with a fitting status; invalid input is a 422 whose
`message` names the field.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.deps import reject_nul_characters, require_token
from api.docs import install_docs
from api.guards import RequestGuard, is_loopback_host
from api.routes import ai, chat, health, search, sprints, summaries, tickets, users
from models.errors import ConductorError
from models.settings import ConfigError, Settings
from models.sprints import SprintNotFoundError
from tasks.assistant.chat import ThreadNotFoundError
from tasks.assistant.embeddings import EmbeddingError
from tasks.llm.gateway import LlmUnavailableError

API_TITLE = "Conductor agent API"
#: In this order, which is also the order of the paths in OpenAPI.
ROUTERS = (health, sprints, users, tickets, summaries, search, ai, chat)
#: The shortest `CONDUCTOR_API_TOKEN` accepted: 16 characters from `secrets.token_urlsafe` are
#: 96 bits, beyond guessing over HTTP; anything shorter is a password somebody typed.
MIN_TOKEN_CHARS = 16
TOKEN_FIX = (
    "set it to a long random string, e.g. the output of "
    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
)


def create_app(settings: Settings, *, require_auth: bool = True) -> FastAPI:
    """The API bound to `settings`. Raises `ConfigError` when auth is required and the token is
    missing or unusable (see `check_bind`)."""
    if require_auth:
        check_bind("127.0.0.1", require_auth=True, settings=settings)
    app = FastAPI(
        title=API_TITLE,
        description="Sprint status, tickets, people, summaries, search and grounded chat.",
        dependencies=[Depends(require_token), Depends(reject_nul_characters)],
        docs_url=None,  # served from local files by `install_docs`, never from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.require_auth = require_auth
    for module in ROUTERS:
        app.include_router(module.router)
    install_docs(app)
    _install_error_handlers(app)
    app.add_middleware(RequestGuard, loopback_only=not require_auth)
    return app


def check_bind(host: str, *, require_auth: bool, settings: Settings) -> None:
    """Refuse to serve without auth off loopback, and with auth unless `CONDUCTOR_API_TOKEN` is
    a usable token (set, not blank or padded, at least MIN_TOKEN_CHARS long)."""
    if not require_auth:
        if not is_loopback_host(host):
            raise ConfigError(
                f"--no-auth is only allowed on a loopback address (127.0.0.1, ::1, localhost), "
                f"not {host}: set CONDUCTOR_API_TOKEN instead"
            )
        return
    token = settings.api_token.get_secret_value() if settings.api_token else ""
    if not token:
        raise ConfigError(
            f"CONDUCTOR_API_TOKEN is not set: {TOKEN_FIX} (or pass --no-auth on 127.0.0.1)"
        )
    problem = _token_problem(token)
    if problem:
        raise ConfigError(f"CONDUCTOR_API_TOKEN {problem}: {TOKEN_FIX}")


def _token_problem(token: str) -> str | None:
    """Why `token` cannot be a bearer token, or None. A blank or padded token is a quoting
    mistake in `.env` (and HTTP strips the padding, so it could never match); a short one is
    guessable."""
    if not token.strip():
        return "is blank"
    if token != token.strip():
        return "starts or ends with whitespace"
    if len(token) < MIN_TOKEN_CHARS:
        return f"is {len(token)} characters long, under {MIN_TOKEN_CHARS}"
    return None


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
        if isinstance(exc, ThreadNotFoundError | SprintNotFoundError):
            code = 404
        elif isinstance(exc, EmbeddingError | LlmUnavailableError):
            code = 503
        return JSONResponse({"detail": str(exc)}, status_code=code)
