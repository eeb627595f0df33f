"""`GET /search`: ticket search, semantic or full-text."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import SessionDep, SettingsDep
from tasks.assistant.search import DEFAULT_LIMIT, MAX_LIMIT, search_response, search_tickets

router = APIRouter(tags=["assistant"])


@router.get("/search")
def search(
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="search text")],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Semantic search when an embedding model is configured, else full-text."""
    mode, hits = search_tickets(session, settings, q, limit=limit)
    return search_response(mode, hits)
