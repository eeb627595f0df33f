"""Daily summaries and the LLM calls behind them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Field, Session, SQLModel, UniqueConstraint, select

from models.base import json_field, utcnow


class Summary(SQLModel, table=True):
    """The daily summary for one day (team time zone). Regenerating a day replaces its row."""

    __table_args__ = (UniqueConstraint("day", name="uq_summary_day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    sprint_id: str | None = Field(default=None, max_length=36)
    text: str
    generated_by: str
    facts: dict[str, Any] = json_field()
    facts_hash: str = Field(default="", max_length=64)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class LlmCall(SQLModel, table=True):
    """One model call (or cache hit) made through LiteLLM: what it cost and how it went."""

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=32, index=True)
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: int = 0
    cache_hit: bool = False
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)


def latest_summary(session: Session) -> Summary | None:
    """The most recent daily summary, or None: the latest `day`, then the newest `created_at`,
    then the highest id (`day` is unique today; the tie-breakers keep the answer deterministic
    should that ever change). The one query the email, the API and chat all use."""
    return session.exec(
        select(Summary)
        .order_by(Summary.day.desc(), Summary.created_at.desc(), Summary.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(1)
    ).first()
