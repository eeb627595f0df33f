"""The daily summary's steps as plain functions: gather the facts, write with a model, store the
row, write the Markdown file, shape the result.

`flows.daily_summary` wraps each in a task (caching the model step on the facts and the model
configuration) and creates the Prefect artifact; `bench/pipeline.py` calls them directly. Each
step opens its own session, as its task does.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from models import clock
from models.db import session_scope
from models.settings import Settings
from models.summaries import Summary
from models.upsert import bulk_upsert
from tasks.summary.facts import daily_facts
from tasks.summary.writer import facts_hash, write_with_model
from tasks.templating import neutralise_markdown


def gather_facts(day: date, settings: Settings) -> dict[str, Any]:
    """What changed on `day` (team time zone), from SQL."""
    with session_scope(settings.database_url) as session:
        return daily_facts(session, day, settings)


def write_llm_summary(facts: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Ask the configured models (`write_with_model`); raises when none gives an acceptable
    answer. `LlmCall` rows of failed attempts are committed before the error propagates."""
    failure: Exception | None = None
    outcome: dict[str, Any] = {}
    with session_scope(settings.database_url) as session:
        try:
            outcome = write_with_model(facts, settings, session)
        except Exception as exc:  # re-raised below, after the attempts are committed
            failure = exc
    if failure is not None:
        raise failure
    return outcome


def summary_row(
    day: date, facts: dict[str, Any], outcome: dict[str, Any], created_at: datetime
) -> dict[str, Any]:
    """The `Summary` row of `day` for a summary outcome (`write_with_model`/`_template`)."""
    return {
        "day": day,
        "sprint_id": (facts.get("sprint") or {}).get("id"),
        "text": outcome["text"],
        "generated_by": outcome["generated_by"],
        "facts": facts,
        "facts_hash": facts_hash(facts),
        "prompt_tokens": outcome["prompt_tokens"],
        "completion_tokens": outcome["completion_tokens"],
        "cost_usd": outcome["cost_usd"],
        "cached": outcome["cached"],
        "created_at": created_at,
    }


def store_summary(
    day: date, facts: dict[str, Any], outcome: dict[str, Any], settings: Settings
) -> None:
    """Upsert the day's `Summary` row: regenerating a day replaces it."""
    row = summary_row(day, facts, outcome, clock.local_now(settings.tz))
    with session_scope(settings.database_url) as session:
        bulk_upsert(session, Summary, [row], keys=["day"])


def summary_markdown(text: str) -> str:
    """The summary as published Markdown (the file and the Prefect artifact): model text keeps
    its headings, lists and emphasis but can carry no link, image or HTML, even when it quotes
    a hostile ticket title (`neutralise_markdown`). The stored row keeps the text as written."""
    return neutralise_markdown(text)


def write_summary_file(day: date, text: str, output_dir: Path) -> Path:
    """Write `<output_dir>/summaries/<date>.md` (`summary_markdown` of `text`); returns its path."""
    path = output_dir / "summaries" / f"{day.isoformat()}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(summary_markdown(text), encoding="utf-8")
    return path


def summary_result(day: date, facts: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    """The docs/design.md §3 `summary --json` shape of a day's summary."""
    return {
        "date": day.isoformat(),
        "text": outcome["text"],
        "generated_by": outcome["generated_by"],
        "facts": facts,
        "prompt_tokens": outcome["prompt_tokens"],
        "completion_tokens": outcome["completion_tokens"],
        "cost_usd": outcome["cost_usd"],
        "cached": outcome["cached"],
    }


def stored_summary(day: date, settings: Settings) -> dict[str, Any] | None:
    """The stored summary of `day` as `summary_result` shapes it, if it still says what a new
    run would: written from the facts the database yields now, by the kind of writer now
    configured (a model, or the template). Else None: the flow must write it.

    This is how `conductor summary` shows a stored day in a second instead of starting Prefect;
    `cached` is true, as for a summary the flow takes from its cache.
    """
    from sqlmodel import select

    from tasks.llm.gateway import configured_models
    from tasks.summary.template_summary import TEMPLATE_LABEL

    facts = gather_facts(day, settings)
    with session_scope(settings.database_url) as session:
        row = session.exec(select(Summary).where(Summary.day == day)).first()
    if row is None or row.facts_hash != facts_hash(facts):
        return None
    if (row.generated_by == TEMPLATE_LABEL) != (not configured_models(settings)):
        return None
    outcome = {
        "text": row.text,
        "generated_by": row.generated_by,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "cost_usd": 0.0,
        "cached": True,
    }
    return summary_result(day, facts, outcome)
