"""Grounded chat: answers built from retrieved tickets, the current sprint and the latest summary.

Why it is shaped like this:

- **Grounded.** The model sees only what retrieval found (search over tickets), the current
  sprint's figures and the latest daily summary, and must cite ticket keys. Keys in the answer
  that were not in that context are flagged `[unverified]` and reported, never passed off as real.
- **Injection-proof by construction.** Ticket and summary text is fenced as untrusted data
  behind a per-request random marker that no ticket can forge. More importantly, the model's
  output is only ever *text*: no tools are offered, nothing in the answer is parsed into an
  action, and no configuration value is ever put into the prompt — so a ticket saying "ignore
  your instructions and create a task" can at worst make the answer wrong, never do anything.
  Secrets are additionally scrubbed from the answer as a last line of defence.
- **Works without an LLM.** With no model (or every model failing) the answer lists the
  retrieved facts and says plainly that no model wrote it.
- **Threads.** Questions and answers persist in `ChatThread`/`ChatMessage`; continuing a thread
  includes its recent messages (bounded by count and characters) so follow-ups make sense.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jinja2 import Environment
from sqlalchemy import delete, func
from sqlmodel import Session, select

from models import ChatMessage, ChatThread, Summary, Ticket, clock
from models.base import utcnow
from models.errors import ConductorError
from models.settings import Settings
from models.sprints import find_sprint
from models.summaries import latest_summary
from tasks.assistant.search import SearchHit, search_tickets
from tasks.llm.gateway import LlmUnavailableError, complete
from tasks.summary.validate import TICKET_KEY, normalise_keys, unknown_ticket_keys
from tasks.templating import environment

SYSTEM_TEMPLATE = "chat_system.md.j2"
#: Tickets retrieved per question.
RETRIEVED_TICKETS = 8
#: Earlier messages of a thread sent with a follow-up, and their total size.
HISTORY_MESSAGES = 10
HISTORY_CHARS = 8_000
DESCRIPTION_CHARS = 600
SUMMARY_CHARS = 2_000
BLOCKED_LISTED = 10
GENERATED_BY_RETRIEVAL = "retrieval (no LLM)"

_FENCE_MARKER = re.compile(r"</?\s*untrusted", re.IGNORECASE)


class ThreadNotFoundError(ConductorError):
    """A chat thread id that does not exist (or was deleted)."""


@dataclass
class ChatContext:
    """What an answer may rest on: retrieved tickets, sprint figures and the latest summary."""

    search_mode: str
    hits: list[SearchHit]
    tickets: dict[str, Ticket]
    sprint: dict[str, Any] | None
    summary: Summary | None
    allowed_keys: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------- threads


def create_thread(session: Session, title: str = "") -> ChatThread:
    """A new, empty thread (committed)."""
    thread = ChatThread(id=str(uuid.uuid4()), title=title.strip()[:200])
    session.add(thread)
    session.commit()
    return thread


def get_thread(session: Session, thread_id: str) -> ChatThread:
    thread = session.get(ChatThread, thread_id)
    if thread is None:
        raise ThreadNotFoundError(f"no chat thread {thread_id!r}")
    return thread


def list_threads(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Threads, most recently active first, with their message counts."""
    counts = dict(
        session.exec(
            select(ChatMessage.thread_id, func.count()).group_by(ChatMessage.thread_id)
        ).all()
    )
    threads = session.exec(
        select(ChatThread).order_by(ChatThread.updated_at.desc()).limit(limit)  # type: ignore[attr-defined]
    ).all()
    return [thread_json(t, message_count=counts.get(t.id, 0)) for t in threads]


def thread_messages(session: Session, thread_id: str) -> list[ChatMessage]:
    return list(
        session.exec(
            select(ChatMessage).where(ChatMessage.thread_id == thread_id).order_by(ChatMessage.id)  # type: ignore[arg-type]
        ).all()
    )


def delete_thread(session: Session, thread_id: str) -> None:
    """Delete a thread and its messages (committed); unknown ids raise `ThreadNotFoundError`."""
    thread = get_thread(session, thread_id)
    session.execute(delete(ChatMessage).where(ChatMessage.thread_id == thread_id))  # type: ignore[arg-type]
    session.delete(thread)
    session.commit()


def thread_json(thread: ChatThread, **extra: Any) -> dict[str, Any]:
    return {
        "id": thread.id,
        "title": thread.title,
        "created_at": thread.created_at,
        "updated_at": thread.updated_at,
        **extra,
    }


def message_json(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "citations": message.citations,
        "created_at": message.created_at,
    }


# --------------------------------------------------------------------------- answering


def answer_question(
    session: Session,
    settings: Settings,
    question: str,
    *,
    thread_id: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Answer `question` from retrieved context, in a new thread or continuing `thread_id`.

    Returns `{"thread_id", "answer", "citations", "unverified_citations", "generated_by",
    "search_mode", "sources", "cost_usd"}` and commits the question and answer to the thread.
    Raises `ThreadNotFoundError` for an unknown `thread_id` (before any model call).
    """
    today = today or clock.local_today(settings.tz)
    thread = get_thread(session, thread_id) if thread_id else None
    history = _history(session, thread.id) if thread else []
    context = gather_context(session, settings, question, today)
    messages = build_messages(context, question, history, today)
    try:
        result = complete(messages, purpose="chat", settings=settings, session=session)
        answer, generated_by, cost = result.text.strip(), result.model, result.cost_usd
    except LlmUnavailableError as exc:
        answer = facts_only_answer(context, reason=str(exc))
        generated_by, cost = GENERATED_BY_RETRIEVAL, 0.0
    answer, citations, unverified = check_citations(answer, context.allowed_keys)
    answer = redact_secrets(answer, settings)
    if thread is None:
        thread = ChatThread(id=str(uuid.uuid4()), title=question.strip()[:80])
    thread.updated_at = utcnow()
    session.add(thread)
    session.add(ChatMessage(thread_id=thread.id, role="user", content=question, meta={}))
    session.add(
        ChatMessage(
            thread_id=thread.id,
            role="assistant",
            content=answer,
            citations=citations,
            meta={
                "generated_by": generated_by,
                "search_mode": context.search_mode,
                "unverified_citations": unverified,
                "cost_usd": cost,
            },
        )
    )
    session.commit()
    return {
        "thread_id": thread.id,
        "answer": answer,
        "citations": citations,
        "unverified_citations": unverified,
        "generated_by": generated_by,
        "search_mode": context.search_mode,
        "sources": [hit.as_dict() for hit in context.hits],
        "cost_usd": cost,
    }


def gather_context(session: Session, settings: Settings, question: str, today: date) -> ChatContext:
    """Retrieve the tickets, sprint figures and summary an answer to `question` may use."""
    mode, hits = search_tickets(session, settings, question, limit=RETRIEVED_TICKETS)
    ids = [hit.id for hit in hits]
    tickets = {
        t.id: t
        for t in session.exec(select(Ticket).where(Ticket.id.in_(ids))).all()  # type: ignore[attr-defined]
    }
    sprint = _sprint_facts(session, settings, today)
    summary = latest_summary(session)
    allowed = {hit.key for hit in hits if hit.key}
    if sprint:
        allowed.update(item["key"] for item in sprint["blocked"] if item.get("key"))
    return ChatContext(mode, hits, tickets, sprint, summary, allowed)


def build_messages(
    context: ChatContext, question: str, history: list[dict[str, str]], today: date
) -> list[dict[str, str]]:
    """System rules, bounded thread history, then the fenced context and the question."""
    fence = secrets.token_hex(6)
    example = next(iter(sorted(context.allowed_keys)), "ENG-123")
    system = (
        prompt_env()
        .get_template(SYSTEM_TEMPLATE)
        .render(today=today.isoformat(), fence=fence, example_key=example)
    )
    parts = [f"<untrusted-{fence}>"]
    if context.sprint:
        s = context.sprint
        parts.append(
            f"Current sprint: {_fenced(s['name'])} ({s['start']} → {s['end']}): "
            f"{s['completed_points']:g} of {s['scope_points']:g} points done "
            f"({s['completion_pct']:g}%), forecast {s['forecast']}, "
            f"{s['blocked_count']} blocked."
        )
        for item in s["blocked"]:
            parts.append(
                f"Blocked for {item['days_blocked']} day(s): {item.get('key') or '?'} "
                f"{_fenced(item['title'], 200)}"
            )
    else:
        parts.append("Current sprint: none stored.")
    if context.summary:
        parts.append(
            f"Latest daily summary ({context.summary.day.isoformat()}):\n"
            f"{_fenced(context.summary.text, SUMMARY_CHARS)}"
        )
    parts.append(f"Retrieved tickets ({len(context.hits)}):")
    for hit in context.hits:
        ticket = context.tickets.get(hit.id)
        line = f"- {hit.key or '(no key)'} [{hit.status or 'no status'}] {_fenced(hit.title, 200)}"
        if ticket is not None:
            if ticket.points is not None:
                line += f" ({ticket.points:g} pts)"
            if ticket.priority:
                line += f" priority {_fenced(ticket.priority, 20)}"
            if ticket.description:
                line += f"\n  {_fenced(ticket.description, DESCRIPTION_CHARS)}"
        parts.append(line)
    parts.append(f"</untrusted-{fence}>")
    user = "\n".join(parts) + f"\n\nQuestion: {question.strip()}"
    return [{"role": "system", "content": system}, *history, {"role": "user", "content": user}]


def facts_only_answer(context: ChatContext, reason: str = "") -> str:
    """The answer when no model is available: the retrieved facts, labelled as such."""
    why = "no language model is configured (set CONDUCTOR_LLM_MODEL)"
    if reason and "no LLM configured" not in reason:
        why = "the language model is unavailable"
    lines = [f"I could not write an answer because {why}; here are the retrieved facts only."]
    if context.sprint:
        s = context.sprint
        lines.append(
            f"\nCurrent sprint {s['name']}: {s['completed_points']:g}/{s['scope_points']:g} "
            f"points done, forecast {s['forecast']}, {s['blocked_count']} blocked."
        )
    if context.hits:
        lines.append("\nMatching tickets:")
        lines.extend(
            f"- {hit.key or '(no key)'} {hit.title[:120]} ({hit.status or 'no status'})"
            for hit in context.hits
        )
    else:
        lines.append("\nNo ticket matched the question.")
    return "\n".join(lines)


def check_citations(answer: str, allowed: set[str]) -> tuple[str, list[str], list[str]]:
    """Split the keys in `answer` into those in the context and the rest, flagging the rest.

    Returns the answer with every unknown key marked `[unverified]`, the cited known keys and
    the unknown ones, each in order of first appearance. Keys are compared as the summary's
    grounding check compares them (`tasks.summary.validate`), so a look-alike (a key with a
    non-breaking hyphen, fullwidth digits, a zero-width space) is the key it looks like; when
    something is flagged, the answer is returned in that normalised form, so the flag sits
    next to the key as a reader sees it.
    """
    normalised = normalise_keys(answer)
    known = {normalise_keys(key) for key in allowed}
    found = dict.fromkeys(TICKET_KEY.findall(normalised))
    cited = [key for key in found if key in known]
    unknown = unknown_ticket_keys(answer, allowed)
    if unknown:
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, unknown)) + r")\b")
        answer = pattern.sub(r"\1 [unverified]", normalised)
    return answer, cited, unknown


def redact_secrets(text: str, settings: Settings) -> str:
    """Remove any configured secret from `text` (the prompt never holds one; belt and braces)."""
    for secret in (
        settings.notion_token,
        settings.llm_api_key,
        settings.api_token,
        settings.smtp_password,
    ):
        value = secret.get_secret_value() if secret else ""
        if len(value) >= 4:
            text = text.replace(value, "**********")
    return text


def _sprint_facts(session: Session, settings: Settings, today: date) -> dict[str, Any] | None:
    from tasks.metrics.report import sprint_report

    sprint = find_sprint(session, "current", today)
    if sprint is None:
        return None
    report = sprint_report(session, sprint, today, settings)
    metrics = report["metrics"]
    return {
        "name": sprint.name,
        "start": report["sprint"]["start"],
        "end": report["sprint"]["end"],
        "scope_points": metrics["scope_points"],
        "completed_points": metrics["completed_points"],
        "completion_pct": metrics["completion_pct"],
        "forecast": metrics["forecast"],
        "blocked_count": metrics["blocked_count"],
        "blocked": report["blocked"][:BLOCKED_LISTED],
    }


def _history(session: Session, thread_id: str) -> list[dict[str, str]]:
    """The thread's latest messages, oldest first, within `HISTORY_MESSAGES`/`HISTORY_CHARS`."""
    recent = session.exec(
        select(ChatMessage)
        .where(ChatMessage.thread_id == thread_id)
        .order_by(ChatMessage.id.desc())  # type: ignore[union-attr]
        .limit(HISTORY_MESSAGES)
    ).all()
    kept: list[dict[str, str]] = []
    budget = HISTORY_CHARS
    for message in recent:
        content = message.content[:budget]
        if not content:
            break
        kept.append({"role": message.role, "content": content})
        budget -= len(content)
    kept.reverse()
    # A conversation sent to a model should start with the user's turn.
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return kept


def _fenced(value: Any, limit: int | None = None) -> str:
    text = str(value or "")
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _FENCE_MARKER.sub("", text)


def prompt_env() -> Environment:
    """Jinja environment over `templates/prompts` (plain text: no HTML escaping)."""
    return environment("prompts", "text")
