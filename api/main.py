"""Builds the agent API: its routers, error handlers and auth, bound to one `Settings`.

Every route requires `Authorization: Bearer $CONDUCTOR_API_TOKEN` (`deps.require_token`,
applied app-wide so a new router cannot forget it) unless the app was built with
`require_auth=False`, which `check_bind` only allows on a loopback address. Handlers are sync
functions (FastAPI runs them in its thread pool) with one DB session each. Errors users can act
on come back as `{"detail": "<one line>"}` with a fitting status; invalid input is a 422 whose
`message` names the field.
"""

from __future__ import annotations

import ipaddress

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.deps import require_token
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


def create_app(settings: Settings, *, require_auth: bool = True) -> FastAPI:
    """The API bound to `settings`. Raises `ConfigError` when auth is required but no token is set."""
    if require_auth:
        check_bind("127.0.0.1", require_auth=True, settings=settings)
    app = FastAPI(
        title=API_TITLE,
        description="Sprint status, tickets, people, summaries, search and grounded chat.",
        dependencies=[Depends(require_token)],
    )
    app.state.settings = settings
    app.state.require_auth = require_auth
    for module in ROUTERS:
        app.include_router(module.router)
    _install_error_handlers(app)
    return app


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


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
