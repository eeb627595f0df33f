"""Ticket embeddings through LiteLLM, stored in `TicketEmbedding` and refreshed incrementally.

Why a content hash: embedding calls cost money and time, and a workspace changes a few tickets a
day. Each ticket's embedded text (key, title, description, status, tags) is hashed together with
the model name; a ticket is embedded again only when that hash changes, so a second run over an
unchanged workspace makes no model call at all.

LiteLLM is imported lazily (it takes seconds) and called synchronously, so its HTTP goes through
httpx, which is what the tests mock.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from models import LlmCall, Ticket, TicketEmbedding
from models.base import utcnow
from models.errors import ConductorError
from models.settings import Settings
from tasks.llm.gateway import classify_llm_error

log = logging.getLogger(__name__)

#: Texts per embedding request: big enough to amortise latency, small enough for every provider.
BATCH_SIZE = 64
#: Characters of a description that go into the embedded text (embedding models truncate anyway).
DESCRIPTION_CHARS = 4_000


class EmbeddingError(ConductorError):
    """The embedding model is not configured or did not answer; the message names the fix.

    `transient` says whether trying again later can help (rate limit, 5xx, timeout).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class EmbeddingBatch:
    """Vectors for a list of texts, in input order, and what producing them cost."""

    vectors: list[list[float]]
    model: str
    prompt_tokens: int
    cost_usd: float


def ticket_text(ticket: Ticket) -> str:
    """The text a ticket is embedded (and full-text indexed) as.

    Status and tags are included so "blocked billing work" finds blocked tickets tagged billing.
    """
    lines = [f"{ticket.key or ''} {ticket.title}".strip()]
    if ticket.status:
        lines.append(f"Status: {ticket.status}")
    if ticket.tags:
        lines.append(f"Tags: {', '.join(ticket.tags)}")
    if ticket.description:
        lines.append(ticket.description[:DESCRIPTION_CHARS])
    return "\n".join(lines)


def content_hash(text: str, model: str) -> str:
    """sha256 of the model and the text: a new model re-embeds everything, as it must."""
    return hashlib.sha256(f"{model}\n{text}".encode()).hexdigest()


def embed_texts(texts: Sequence[str], settings: Settings) -> EmbeddingBatch:
    """Embed `texts` with `CONDUCTOR_EMBEDDING_MODEL` in one request.

    Uses `CONDUCTOR_LLM_API_BASE`/`_API_KEY` (an OpenAI-compatible or Ollama endpoint usually
    serves both chat and embeddings). Raises `EmbeddingError` without the key in its message.
    """
    model = settings.embedding_model
    if not model:
        raise EmbeddingError("no embedding model configured: set CONDUCTOR_EMBEDDING_MODEL")
    import litellm

    kwargs: dict[str, Any] = {
        "model": model,
        "input": list(texts),
        "timeout": settings.llm_timeout_s,
        "max_retries": 0,
    }
    if settings.llm_api_base:
        kwargs["api_base"] = str(settings.llm_api_base).rstrip("/")
    secret = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if secret:
        kwargs["api_key"] = secret
    elif settings.llm_api_base and model.startswith("openai/"):
        # Self-hosted OpenAI-compatible servers often need no key, but the SDK insists on one.
        kwargs["api_key"] = "no-key"
    try:
        response = litellm.embedding(**kwargs)
    except Exception as exc:  # every provider error becomes one line naming the fix
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        if secret:
            reason = reason.replace(secret, "**********")
        raise EmbeddingError(
            f"embedding model {model} failed ({type(exc).__name__}: {reason}): check "
            "CONDUCTOR_EMBEDDING_MODEL and CONDUCTOR_LLM_API_BASE/CONDUCTOR_LLM_API_KEY",
            transient=classify_llm_error(exc) == "transient",
        ) from None
    items = sorted(response.data, key=lambda item: _field(item, "index") or 0)
    vectors = [[float(x) for x in _field(item, "embedding")] for item in items]
    if len(vectors) != len(texts):
        raise EmbeddingError(
            f"embedding model {model} returned {len(vectors)} vectors for {len(texts)} texts"
        )
    usage = getattr(response, "usage", None)
    return EmbeddingBatch(
        vectors=vectors,
        model=model,
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        cost_usd=_cost(response),
    )


def embed_tickets(
    session: Session, settings: Settings, *, batch_size: int = BATCH_SIZE
) -> dict[str, Any]:
    """Embed every live ticket whose text changed since it was last embedded.

    Returns `{"embedded", "skipped", "cost_usd"}`. Commits after each batch, so work already
    paid for survives a later batch failing; each request is recorded as an `LlmCall` with
    purpose `embedding`. Raises `EmbeddingError` when no model is configured or a call fails.
    """
    model = settings.embedding_model
    if not model:
        raise EmbeddingError("no embedding model configured: set CONDUCTOR_EMBEDDING_MODEL")
    stored = {
        row.ticket_id: row.content_hash
        for row in session.exec(select(TicketEmbedding)).all()
        if row.model == model
    }
    pending: list[tuple[str, str, str]] = []
    skipped = 0
    tickets = session.exec(
        select(Ticket).where(Ticket.removed_at.is_(None)).order_by(Ticket.id)  # type: ignore[union-attr]
    ).all()
    for ticket in tickets:
        text = ticket_text(ticket)
        digest = content_hash(text, model)
        if stored.get(ticket.id) == digest:
            skipped += 1
        else:
            pending.append((ticket.id, text, digest))
    embedded, cost = 0, 0.0
    for batch in _chunks(pending, batch_size):
        started = time.monotonic()
        try:
            result = embed_texts([text for _, text, _ in batch], settings)
        except EmbeddingError as exc:
            session.add(_call_row(model, started, error=str(exc)[:500]))
            session.commit()
            raise
        for (ticket_id, _, digest), vector in zip(batch, result.vectors, strict=True):
            row = session.get(TicketEmbedding, ticket_id) or TicketEmbedding(ticket_id=ticket_id)
            row.model, row.content_hash = model, digest
            row.dims, row.vector, row.updated_at = len(vector), vector, utcnow()
            session.add(row)
        session.add(_call_row(model, started, result=result))
        session.commit()
        embedded += len(batch)
        cost += result.cost_usd
    if embedded:
        log.info("embedded %d ticket(s) with %s (%d unchanged)", embedded, model, skipped)
    return {"embedded": embedded, "skipped": skipped, "cost_usd": round(cost, 6)}


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _cost(response: Any) -> float:
    """LiteLLM's price for the call; 0.0 for models missing from its cost map (e.g. Ollama)."""
    hidden = getattr(response, "_hidden_params", None) or {}
    try:
        return float(hidden.get("response_cost") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _call_row(
    model: str,
    started: float,
    *,
    result: EmbeddingBatch | None = None,
    error: str | None = None,
) -> LlmCall:
    return LlmCall(
        purpose="embedding",
        model=model,
        prompt_tokens=result.prompt_tokens if result else 0,
        cost_usd=result.cost_usd if result else 0.0,
        latency_ms=int((time.monotonic() - started) * 1000),
        error=error,
    )
