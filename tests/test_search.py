"""Ticket search on the sample workspace ingested from the sandbox: semantic (a mocked
OpenAI-compatible `/embeddings` endpoint returning hashed bag-of-words vectors) and full-text
(SQLite FTS5 and PostgreSQL tsvector), plus incremental re-embedding."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import respx
from pydantic import SecretStr
from sqlmodel import Session, select

from models import LlmCall, Ticket, TicketEmbedding
from models.db import get_engine
from models.settings import Settings
from sandbox.server import Sandbox
from sandbox.workspace import Workspace
from tasks.assistant.embeddings import embed_tickets
from tasks.assistant.search import FULL_TEXT, SEMANTIC, search_tickets
from tests.sandboxes import synced

N_TICKETS = 150
API_BASE = "http://llm.test/v1"
API_KEY = "sk-embed-SECRET-0123456789"
EMBEDDINGS = f"{API_BASE}/embeddings"
DIMS = 256
NEEDLE_TITLE = "Calibrate the quantum flux capacitor before the release"
NEEDLE_DESCRIPTION = "The capacitor drifts after midnight and breaks nightly exports."


def bag_of_words(text: str) -> list[float]:
    """A deterministic embedding: word counts hashed into DIMS buckets (no stemming)."""
    vector = [0.0] * DIMS
    for word in re.findall(r"\w+", text.lower()):
        bucket = int(hashlib.sha256(word.encode()).hexdigest(), 16) % DIMS
        vector[bucket] += 1.0
    return vector


def embeddings_endpoint(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    return httpx.Response(
        200,
        json={
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": bag_of_words(t)}
                for i, t in enumerate(texts)
            ],
            "model": body["model"],
            "usage": {"prompt_tokens": 7 * len(texts), "total_tokens": 7 * len(texts)},
        },
    )


@contextmanager
def mocked_embeddings() -> Iterator[respx.Route]:
    """Mock the embeddings endpoint; everything else (the sandbox) passes through."""
    with respx.mock(assert_all_called=False) as router:
        route = router.post(EMBEDDINGS).mock(side_effect=embeddings_endpoint)
        router.route().pass_through()
        yield route


def input_count(route: respx.Route) -> int:
    return sum(len(json.loads(call.request.content)["input"]) for call in route.calls)


def _with_needle_ticket(workspace: Workspace) -> None:
    workspace.create_page(
        workspace.tickets_data_source_id,
        {
            "Name": NEEDLE_TITLE,
            "Status": "Blocked",
            "Description": NEEDLE_DESCRIPTION,
            "Tags": ("infra",),
        },
    )


pytestmark = pytest.mark.sandbox(N_TICKETS, prepare=_with_needle_ticket)


def semantic_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "embedding_model": "openai/text-embedding-3-small",
            "llm_api_base": API_BASE,
            "llm_api_key": SecretStr(API_KEY),
        }
    )


def needle_key(db_url: str) -> str:
    with Session(get_engine(db_url)) as session:
        ticket = session.exec(select(Ticket).where(Ticket.title == NEEDLE_TITLE)).one()
    assert ticket.key
    return ticket.key


def test_full_text_search_ranks_the_matching_ticket_first(sandbox: Sandbox, db_url: str) -> None:
    settings = synced(sandbox, db_url)
    with Session(get_engine(db_url)) as session:
        mode, hits = search_tickets(session, settings, "flux capacitor calibration")
    assert mode == FULL_TEXT
    assert hits[0].key == needle_key(db_url)
    assert hits[0].title == NEEDLE_TITLE
    assert hits[0].status == "Blocked"
    assert hits[0].score > 0


def test_full_text_search_falls_back_to_any_word_when_no_ticket_has_all(
    sandbox: Sandbox, db_url: str
) -> None:
    settings = synced(sandbox, db_url)
    with Session(get_engine(db_url)) as session:
        mode, hits = search_tickets(session, settings, "why does the capacitor zzzunknownword")
    assert mode == FULL_TEXT
    assert hits and hits[0].key == needle_key(db_url)


def test_full_text_query_syntax_is_treated_as_plain_words(sandbox: Sandbox, db_url: str) -> None:
    settings = synced(sandbox, db_url)
    with Session(get_engine(db_url)) as session:
        before = len(session.exec(select(Ticket)).all())
        assert search_tickets(session, settings, "  ?!  ")[1] == []
        search_tickets(session, settings, 'capacitor" OR NEAR(x) "); DROP TABLE ticket;--')
        search_tickets(session, settings, "title:flux* & !capacitor | (")
        assert len(session.exec(select(Ticket)).all()) == before


def test_semantic_search_ranks_the_matching_ticket_first(sandbox: Sandbox, db_url: str) -> None:
    settings = semantic_settings(synced(sandbox, db_url))
    with mocked_embeddings(), Session(get_engine(db_url)) as session:
        mode, hits = search_tickets(
            session, settings, "quantum flux capacitor drifts after midnight", limit=5
        )
    assert mode == SEMANTIC
    assert len(hits) == 5
    assert hits[0].key == needle_key(db_url)
    assert hits[0].score == pytest.approx(max(h.score for h in hits))
    assert hits[0].score > hits[1].score


def test_only_changed_tickets_are_embedded_again(sandbox: Sandbox, db_url: str) -> None:
    settings = semantic_settings(synced(sandbox, db_url))
    live = len(sandbox.workspace.tickets())
    with mocked_embeddings() as route, Session(get_engine(db_url)) as session:
        first = embed_tickets(session, settings)
        assert first["embedded"] == live and first["skipped"] == 0
        assert len(route.calls) == -(-live // 64)  # batches of 64 texts
        assert input_count(route) == live
        assert first["cost_usd"] > 0  # text-embedding-3-small is in LiteLLM's cost map

        route.reset()
        second = embed_tickets(session, settings)
        assert (second["embedded"], second["skipped"]) == (0, live)
        assert route.call_count == 0

        ticket = session.exec(select(Ticket).where(Ticket.title == NEEDLE_TITLE)).one()
        ticket.description = "Now it also drifts at noon."
        session.add(ticket)
        session.commit()
        third = embed_tickets(session, settings)
        assert (third["embedded"], third["skipped"]) == (1, live - 1)
        assert input_count(route) == 1
        assert "drifts at noon" in json.loads(route.calls[-1].request.content)["input"][0]

        assert len(session.exec(select(TicketEmbedding)).all()) == live
        calls = session.exec(select(LlmCall).where(LlmCall.purpose == "embedding")).all()
    assert len(calls) == -(-live // 64) + 1
    assert all(call.error is None and call.prompt_tokens > 0 for call in calls)


def test_semantic_search_falls_back_to_full_text_when_the_endpoint_fails(
    sandbox: Sandbox, db_url: str
) -> None:
    settings = semantic_settings(synced(sandbox, db_url))
    with respx.mock(assert_all_called=False) as router:
        router.post(EMBEDDINGS).mock(return_value=httpx.Response(500, json={"error": "down"}))
        router.route().pass_through()
        with Session(get_engine(db_url)) as session:
            mode, hits = search_tickets(session, settings, "flux capacitor")
    assert mode == FULL_TEXT
    assert hits[0].key == needle_key(db_url)
