"""`GET /summaries/latest`: the most recent daily summary."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from api.deps import SessionDep
from models import summaries

router = APIRouter(tags=["summaries"])


@router.get("/summaries/latest")
def latest_summary(session: SessionDep) -> dict[str, Any]:
    """The most recent daily summary (docs/design.md §3 `summary --json` shape)."""
    found = summaries.latest_summary(session)
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
