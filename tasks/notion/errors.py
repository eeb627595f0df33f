"""The errors a Notion call ends in, each one line a user can act on.

Why a module of its own: callers (the sync's plan, the flows' retry policy, the CLI) catch
these without needing the HTTP client, and the wording of each fix (which setting, which
sharing menu) is kept in one place. `NotionAccessError` means token or sharing,
`NotionUnavailableError` that retries were exhausted, `NotionRequestError` that Notion refused
the request; none of them ever contains the token (`client.NotionGateway` redacts it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.errors import ConductorError

_DATABASE_VARS = "CONDUCTOR_NOTION_TICKETS_DATABASE_ID / CONDUCTOR_NOTION_SPRINTS_DATABASE_ID"
_SHARE_FIX = "share the database with the integration (••• menu → Connections)"

ResourceKind = Literal["database", "data source", "page", "report page", "workspace"]


class NotionAccessError(ConductorError):
    """Notion refused the token (401) or cannot see the object (403/404): fixed by configuration."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotionUnavailableError(ConductorError):
    """Notion kept failing (429/5xx/timeouts/connection errors) after every retry."""


class NotionRequestError(ConductorError):
    """Notion rejected the request itself (400 `validation_error`, 409, …); retrying cannot help."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Resource:
    """What a request is about, so 403/404 can name the object and the fix."""

    kind: ResourceKind
    object_id: str | None = None


WORKSPACE = Resource("workspace")


def access_message(resource: Resource, status: int) -> str:
    capabilities = (
        "; also check the integration's capabilities (read/insert content)" if status == 403 else ""
    )
    if resource.kind == "database":
        return (
            f"Notion database {resource.object_id} not found or not shared ({status}): "
            f"{_SHARE_FIX} and check {_DATABASE_VARS}{capabilities}"
        )
    if resource.kind == "data source":
        return (
            f"Notion data source {resource.object_id} not found or not shared ({status}): "
            f"share its database with the integration (••• menu → Connections) and check "
            f"{_DATABASE_VARS}{capabilities}"
        )
    if resource.kind == "page":
        return (
            f"Notion page {resource.object_id} not found or not shared ({status}): "
            f"share its database with the integration (••• menu → Connections){capabilities}"
        )
    if resource.kind == "report page":
        return (
            f"Notion page {resource.object_id} not found or not shared ({status}): share the "
            "reports page with the integration (••• menu → Connections), check "
            f"CONDUCTOR_NOTION_REPORTS_PAGE_ID and give the integration insert/update content"
            f"{capabilities}"
        )
    return (
        f"Notion refused the request ({status}): give the integration the capabilities it "
        "needs (Settings → Connections → Develop or manage integrations)"
    )
