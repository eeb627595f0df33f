"""The assistant's state: ticket embeddings and chat threads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from models.base import json_field, utcnow


class TicketEmbedding(SQLModel, table=True):
    """A ticket's text embedding. `content_hash` is of the embedded text, so only tickets whose
    text changed are embedded again."""

    ticket_id: str = Field(primary_key=True, max_length=36)
    model: str
    content_hash: str = Field(max_length=64)
    dims: int
    vector: list[float] = json_field(default_factory=list)
    updated_at: datetime = Field(default_factory=utcnow)


class ChatThread(SQLModel, table=True):
    """A conversation with the assistant."""

    id: str = Field(primary_key=True, max_length=36)
    title: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ChatMessage(SQLModel, table=True):
    """One message of a thread; `citations` are ticket keys the answer relies on."""

    id: int | None = Field(default=None, primary_key=True)
    thread_id: str = Field(index=True, max_length=36)
    role: str = Field(max_length=16)
    content: str
    citations: list[str] = json_field(default_factory=list)
    meta: dict[str, Any] = json_field()
    created_at: datetime = Field(default_factory=utcnow)
