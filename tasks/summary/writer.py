"""Turning facts into a summary with a model, checked, with one chance to correct itself."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import Session

from models.errors import ConductorError
from models.settings import Settings
from tasks.llm.gateway import LlmResult, complete, configured_models
from tasks.summary.facts import fact_keys
from tasks.summary.prompt import build_prompt, corrective_message, template_fingerprint
from tasks.summary.template_summary import TEMPLATE_LABEL, render_template_summary
from tasks.summary.validate import unknown_ticket_keys

PURPOSE = "daily_summary"
TEMPERATURE = 0.2


class SummaryRejectedError(ConductorError):
    """The model kept citing tickets that do not exist; the template summary is used instead."""


def facts_hash(facts: dict[str, Any]) -> str:
    """Stable fingerprint of the facts (key order and date types do not matter)."""
    payload = json.dumps(facts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def model_config(settings: Settings) -> dict[str, Any]:
    """What besides the facts decides the model's answer; part of the summary cache key.

    The API key is deliberately absent: it must never reach a cache key or a result file.
    """
    return {
        "models": configured_models(settings),
        "api_base": str(settings.llm_api_base) if settings.llm_api_base else None,
        "temperature": TEMPERATURE,
        "templates": template_fingerprint(),
    }


def write_with_model(facts: dict[str, Any], settings: Settings, session: Session) -> dict[str, Any]:
    """Ask the models for a summary of `facts`; returns the summary outcome dict.

    Every key the answer cites must be in the facts; otherwise the model gets one corrective
    turn, and a second failure raises `SummaryRejectedError`. Raises `LlmUnavailableError` (or
    `LlmAuthError`) when no model answers. Token counts and costs add up over both turns.
    """
    prompt = build_prompt(facts, settings.llm_model)
    known = fact_keys(facts)
    messages = list(prompt.messages)
    calls: list[LlmResult] = []
    for turn in range(2):
        result = complete(
            messages, purpose=PURPOSE, settings=settings, session=session, temperature=TEMPERATURE
        )
        calls.append(result)
        unknown = unknown_ticket_keys(result.text, known)
        if not unknown:
            return {
                "text": result.text.strip() + "\n",
                "generated_by": result.model,
                "prompt_tokens": sum(c.prompt_tokens for c in calls),
                "completion_tokens": sum(c.completion_tokens for c in calls),
                "cost_usd": round(sum(c.cost_usd for c in calls), 8),
                "cached": all(c.cached for c in calls),
            }
        if turn == 0:
            messages += [{"role": "assistant", "content": result.text}, corrective_message(unknown)]
    raise SummaryRejectedError(
        f"the model cited unknown ticket keys twice ({', '.join(unknown)}); using the template"
    )


def write_with_template(facts: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
    """The labelled, model-free summary outcome."""
    return {
        "text": render_template_summary(facts, reason),
        "generated_by": TEMPLATE_LABEL,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": 0.0,
        "cached": False,
    }
