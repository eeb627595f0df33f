"""Per-request dependencies: the app's settings, one database session, bearer-token auth, and
the refusal of NUL characters in any parameter.

Auth is a dependency (not a middleware) so that it is declared once and OpenAPI shows the
bearer scheme (the Authorize button of /docs) from the same object that enforces it. `create_app`
applies it app-wide: FastAPI resolves an app's dependencies before a route's own parameters, so
a caller without the token gets a 401, never a 422 describing the schema. The docs routes
(/docs and its assets, /openapi.json) are not API routes and stay public: they describe the API
and expose no data.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from models.db import get_engine
from models.settings import Settings

UNAUTHORISED = "missing or wrong bearer token (Authorization: Bearer $CONDUCTOR_API_TOKEN)"

# auto_error=False: a missing or non-Bearer header comes back as None and `require_token`
# answers it with the same 401 + WWW-Authenticate as a wrong token (HTTPBearer's own error
# would differ in status and body).
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer $CONDUCTOR_API_TOKEN")


def get_settings(request: Request) -> Settings:
    """The settings the app was built with (`create_app` keeps them on `app.state`)."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(settings: SettingsDep) -> Iterator[Session]:
    """One session per request on the app's database."""
    with Session(get_engine(settings.database_url), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def require_token(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the request carries `Authorization: Bearer $CONDUCTOR_API_TOKEN`.

    The comparison is constant-time (on bytes, so a non-ASCII header is just wrong, not a
    500). An app built with `require_auth=False` (loopback only, see `check_bind`) lets every
    request through but still declares the scheme, so its OpenAPI is the same.
    """
    if not request.app.state.require_auth:
        return
    expected = settings.api_token.get_secret_value() if settings.api_token else ""
    given = credentials.credentials if credentials else ""  # HTTPBearer strips it
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            UNAUTHORISED,
            headers={"WWW-Authenticate": "Bearer"},
        )


#: How JSON writes a NUL inside a string; a body without it holds no NUL (a raw NUL byte is
#: not valid JSON, and FastAPI answers that with its own 422).
_JSON_NUL = b"\\u0000"
NUL_MESSAGE = "must not contain NUL characters"


async def reject_nul_characters(request: Request) -> None:
    """422 for a NUL character in any path or query parameter (name or value) or JSON string.

    PostgreSQL cannot store or compare text holding NUL, so such a request used to fail deep in
    a route with a 500 (and the SQL with its parameters in the server log), after `/ai/chat` had
    already paid for a model call. Applied app-wide after `require_token`, so it runs before any
    route does work and an anonymous caller still gets the 401. The body was read by FastAPI
    already; `request.body()` returns that copy, and it is parsed again only in the rare case it
    contains an escaped NUL.
    """
    for name, value in request.path_params.items():
        if "\x00" in str(value):
            _raise_nul(["path", name])
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            _raise_nul(["query", name.replace("\x00", "\\0")])
    body = await request.body()
    if _JSON_NUL in body:
        try:
            document = json.loads(body)
        except ValueError:
            return  # not JSON: the route's own validation answers it
        where = _nul_location(document, ["body"])
        if where is not None:
            _raise_nul(where)


def _nul_location(value: Any, where: list[Any]) -> list[Any] | None:
    """Where the first string holding a NUL sits in a JSON document (a key counts too)."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = where if "\x00" in key else _nul_location(item, [*where, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_location(item, [*where, index])
            if found is not None:
                return found
    return None


def _raise_nul(where: list[Any]) -> None:
    raise RequestValidationError([{"loc": tuple(where), "msg": NUL_MESSAGE, "type": "string_nul"}])
