"""`/docs` (Swagger UI) served from files on this machine, never from a CDN.

FastAPI's default page loads Swagger UI's JavaScript from cdn.jsdelivr.net with no integrity
hash: whoever controls that CDN (or the network path to it) runs script in the page of an API
that answers without a token under `--no-auth`. A copy of Swagger UI's distribution is
installed with LiteLLM (`litellm/proxy/swagger/`: `swagger-ui-bundle.js`, `swagger-ui.css`),
so the page references that copy at `/docs/assets/...` and works offline. If a LiteLLM release
stops shipping it, `/docs` is simply not served (the OpenAPI document at `/openapi.json` still
is) rather than falling back to the CDN. ReDoc has no local copy, so `/redoc` is off.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
#: Asset file name → media type; nothing else under the directory is served.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}


def swagger_ui_directory() -> Traversable | None:
    """Where the installed Swagger UI files are, or None when any of them is missing."""
    try:
        directory = resources.files("litellm") / "proxy" / "swagger"
    except ModuleNotFoundError:
        return None
    return directory if all((directory / name).is_file() for name in ASSETS) else None


def install_docs(app: FastAPI) -> bool:
    """Add `/docs` and its assets to `app` (built with `docs_url=None`); False when the local
    copy of Swagger UI is missing and there is no `/docs`.

    Plain Starlette routes, like FastAPI's own docs routes: they describe the API and hold no
    data, so the app-wide bearer-token dependency does not apply to them.
    """
    if swagger_ui_directory() is None:
        return False
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} — docs"

    def swagger_ui(request: Request) -> HTMLResponse:
        assets = request.scope.get("root_path", "") + ASSETS_PATH
        return get_swagger_ui_html(
            openapi_url=request.scope.get("root_path", "") + openapi_url,
            title=title,
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
        )

    def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response(status_code=404)
        return Response(
            _asset_bytes(name),
            media_type=ASSETS[name],
            headers={"Cache-Control": "max-age=86400"},
        )

    app.add_route(DOCS_PATH, swagger_ui, include_in_schema=False)
    app.add_route(ASSETS_PATH + "/{name}", asset, include_in_schema=False)
    return True


@cache
def _asset_bytes(name: str) -> bytes:
    directory = swagger_ui_directory()
    assert directory is not None  # install_docs checked
    return (directory / name).read_bytes()
