"""`/ai/*`: a grounded answer (`/ai/chat`) and embeddings (`/ai/embedding`, `/tickets`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from api.deps import SessionDep, SettingsDep
from tasks.assistant import chat
from tasks.assistant.embeddings import embed_texts, embed_tickets

router = APIRouter(tags=["assistant"])

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


class EmbeddingRequest(BaseModel):
    input: list[Annotated[str, Field(min_length=1, max_length=8_000)]] = Field(
        min_length=1, max_length=MAX_EMBED_TEXTS, description="Texts to embed."
    )


@router.post("/ai/chat")
def ai_chat(body: ChatRequest, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """A grounded answer citing ticket keys; pass `thread_id` to continue a thread."""
    return chat.answer_question(session, settings, body.message, thread_id=body.thread_id)


@router.post("/ai/embedding")
def ai_embedding(body: EmbeddingRequest, settings: SettingsDep) -> dict[str, Any]:
    """Embed texts with CONDUCTOR_EMBEDDING_MODEL (for agents doing their own retrieval)."""
    result = embed_texts(body.input, settings)
    return {
        "model": result.model,
        "dims": len(result.vectors[0]) if result.vectors else 0,
        "embeddings": result.vectors,
        "prompt_tokens": result.prompt_tokens,
        "cost_usd": result.cost_usd,
    }


@router.post("/ai/embedding/tickets")
def ai_embed_tickets(session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Embed every ticket whose text changed: `{"embedded", "skipped", "cost_usd"}`."""
    return embed_tickets(session, settings)
