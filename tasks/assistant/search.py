"""Ticket search: cosine similarity over stored embeddings, or the database's full-text search.

Which mode runs: `semantic` when `CONDUCTOR_EMBEDDING_MODEL` is set (changed tickets are
embedded first, so results never lag behind an ingest); `full_text` otherwise, or when the
embedding endpoint fails (logged, and the response says which mode answered).

Full-text search uses what each database does well: SQLite FTS5 over a temporary table built
from the ticket table at query time (always in step with the tickets, no triggers to keep in
sync; ~1 s per 100k tickets), PostgreSQL `to_tsvector @@ plainto_tsquery` ranked by `ts_rank`.
Both first require every word (AND) and fall back to any word (OR) when that finds nothing, so a
long question still finds the tickets sharing most of its words.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Float, Text, cast, func, literal_column, text
from sqlmodel import Session, select

from models import Ticket, TicketEmbedding
from models.settings import Settings
from tasks.assistant.embeddings import EmbeddingError, embed_texts, embed_tickets

log = logging.getLogger(__name__)

SEMANTIC, FULL_TEXT = "semantic", "full_text"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
_WORD = re.compile(r"\w+", re.UNICODE)
#: PostgreSQL text-search configuration; a typed literal, so `to_tsvector` resolves.
_ENGLISH = literal_column("'english'::regconfig")


@dataclass(frozen=True)
class SearchHit:
    key: str | None
    title: str
    status: str | None
    url: str | None
    score: float
    id: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "url": self.url,
            "score": round(self.score, 6),
        }


def search_tickets(
    session: Session,
    settings: Settings,
    query: str,
    *,
    limit: int = DEFAULT_LIMIT,
    refresh_embeddings: bool = True,
) -> tuple[str, list[SearchHit]]:
    """Best-matching live tickets for `query`, best first, and the mode that produced them.

    `refresh_embeddings=False` searches the stored vectors as they are (no model call except the
    query's own embedding).
    """
    limit = max(1, min(limit, MAX_LIMIT))
    if not query.strip():
        return (SEMANTIC if settings.embedding_model else FULL_TEXT), []
    if settings.embedding_model:
        try:
            if refresh_embeddings:
                embed_tickets(session, settings)
            return SEMANTIC, semantic_search(session, settings, query, limit)
        except EmbeddingError as exc:
            session.rollback()
            log.warning("semantic search unavailable, using full-text search: %s", exc)
    return FULL_TEXT, full_text_search(session, query, limit)


def search_response(mode: str, hits: list[SearchHit]) -> dict[str, Any]:
    """The JSON of `conductor search --json` and `GET /search`."""
    return {"mode": mode, "results": [hit.as_dict() for hit in hits]}


def semantic_search(
    session: Session, settings: Settings, query: str, limit: int
) -> list[SearchHit]:
    """Cosine similarity between the query's embedding and every stored ticket vector."""
    model = settings.embedding_model or ""
    rows = session.exec(
        select(TicketEmbedding.ticket_id, TicketEmbedding.vector)
        .join(Ticket, Ticket.id == TicketEmbedding.ticket_id)  # type: ignore[arg-type]
        .where(TicketEmbedding.model == model, Ticket.removed_at.is_(None))  # type: ignore[union-attr]
    ).all()
    if not rows:
        return []
    query_vector = np.asarray(embed_texts([query], settings).vectors[0], dtype=np.float32)
    dims = query_vector.shape[0]
    usable = [(tid, vec) for tid, vec in rows if len(vec) == dims]
    if not usable:
        return []
    matrix = np.asarray([vec for _, vec in usable], dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query_vector) or 1.0)
    scores = (matrix @ query_vector) / np.where(norms == 0, 1.0, norms)
    order = np.argsort(-scores, kind="stable")[:limit]
    ranked = [(usable[i][0], float(scores[i])) for i in order]
    return _hits(session, ranked)


def full_text_search(session: Session, query: str, limit: int) -> list[SearchHit]:
    """Full-text search on the session's database (SQLite FTS5 or PostgreSQL tsvector)."""
    words = _WORD.findall(query.lower())
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        ranked = _postgres_search(session, query, words, limit)
    else:
        ranked = _sqlite_search(session, words, limit)
    return _hits(session, ranked)


def _postgres_search(
    session: Session, query: str, words: list[str], limit: int
) -> list[tuple[str, float]]:
    document = func.to_tsvector(
        _ENGLISH,
        func.concat_ws(
            " ",
            func.coalesce(Ticket.key, ""),
            Ticket.title,
            func.coalesce(Ticket.status, ""),
            cast(Ticket.tags, Text),
            Ticket.description,
        ),
    )
    all_words = func.plainto_tsquery(_ENGLISH, query)
    any_word = func.to_tsquery(_ENGLISH, " | ".join(dict.fromkeys(w for w in words if w.isalnum())))
    for tsquery in (all_words, any_word):
        rank = cast(func.ts_rank(document, tsquery), Float).label("rank")
        rows = session.exec(
            select(Ticket.id, rank)
            .where(Ticket.removed_at.is_(None), document.op("@@")(tsquery))  # type: ignore[union-attr]
            .order_by(rank.desc(), Ticket.key, Ticket.id)
            .limit(limit)
        ).all()
        if rows:
            return [(tid, float(score)) for tid, score in rows]
        if not any(w.isalnum() for w in words):
            break
    return []


def _sqlite_search(session: Session, words: list[str], limit: int) -> list[tuple[str, float]]:
    connection = session.connection()
    connection.execute(text("DROP TABLE IF EXISTS temp.conductor_ticket_fts"))
    connection.execute(
        text(
            "CREATE VIRTUAL TABLE temp.conductor_ticket_fts USING fts5("
            "ticket_id UNINDEXED, key, title, status, tags, description, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    )
    try:
        rows = session.exec(
            select(
                Ticket.id, Ticket.key, Ticket.title, Ticket.status, Ticket.tags, Ticket.description
            ).where(Ticket.removed_at.is_(None))  # type: ignore[union-attr]
        ).all()
        if not rows:
            return []
        connection.execute(
            text(
                "INSERT INTO temp.conductor_ticket_fts "
                "(ticket_id, key, title, status, tags, description) "
                "VALUES (:id, :key, :title, :status, :tags, :description)"
            ),
            [
                {
                    "id": tid,
                    "key": key or "",
                    "title": title or "",
                    "status": status or "",
                    "tags": " ".join(tags or []),
                    "description": description or "",
                }
                for tid, key, title, status, tags, description in rows
            ],
        )
        quoted = [f'"{w}"' for w in dict.fromkeys(words)]
        for match in (" AND ".join(quoted), " OR ".join(quoted)):
            found = connection.execute(
                text(
                    "SELECT ticket_id, bm25(conductor_ticket_fts, 0, 4.0, 3.0, 1.0, 1.0, 1.0) "
                    "AS rank FROM temp.conductor_ticket_fts WHERE conductor_ticket_fts MATCH "
                    ":match ORDER BY rank, key, ticket_id LIMIT :limit"
                ),
                {"match": match, "limit": limit},
            ).all()
            if found:
                # bm25 is lower-is-better and negative; flip it so higher means more relevant.
                return [(tid, -float(rank)) for tid, rank in found]
        return []
    finally:
        connection.execute(text("DROP TABLE IF EXISTS temp.conductor_ticket_fts"))


def _hits(session: Session, ranked: list[tuple[str, float]]) -> list[SearchHit]:
    if not ranked:
        return []
    ids = [tid for tid, _ in ranked]
    tickets = {
        t.id: t
        for t in session.exec(select(Ticket).where(Ticket.id.in_(ids))).all()  # type: ignore[attr-defined]
    }
    return [
        SearchHit(
            key=tickets[tid].key,
            title=tickets[tid].title,
            status=tickets[tid].status,
            url=tickets[tid].url,
            score=score,
            id=tid,
        )
        for tid, score in ranked
        if tid in tickets
    ]
