"""The daily-summary prompt: Jinja templates, ticket text fenced as data, and a token budget.

Ticket titles and descriptions are written by anyone with access to the workspace, so they go
inside a `<tickets>` … `</tickets>` fence that the system prompt declares to be data, and any
fence markers inside them are removed so no ticket can close the fence early. The prompt stays
within `PROMPT_TOKEN_BUDGET` whatever the workspace size: items are kept in order of importance
(blocked, completed, canceled, scope changes, started, unblocked, needs attention) and the rest become "and N more".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from tasks.llm.gateway import count_tokens
from tasks.summary.facts import SECTIONS
from tasks.templating import TEMPLATES_DIR, environment

PROMPTS_DIR = TEMPLATES_DIR / "prompts"
SYSTEM_TEMPLATE = "daily_summary_system.md.j2"
USER_TEMPLATE = "daily_summary.md.j2"
#: Upper bound for system + user messages, in the configured model's tokens.
PROMPT_TOKEN_BUDGET = 3_000
TITLE_CHARS = 100

SECTION_TITLES = {
    "blocked": "Newly blocked",
    "completed": "Completed",
    "canceled": "Canceled",
    "scope_added": "Added to the sprint",
    "scope_removed": "Removed from the sprint",
    "started": "Started",
    "unblocked": "Unblocked",
    "attention": "Needs attention in the sprint",
}
_FENCE = re.compile(r"<\s*/?\s*tickets\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Prompt:
    """Messages ready for the gateway; `shown` of `total` ticket facts made it into the fence."""

    messages: list[dict[str, str]]
    tokens: int
    shown: int
    total: int


def fence_safe(text: str | None, limit: int | None = None) -> str:
    """One line of ticket text with fence markers removed and, optionally, cut to `limit`."""
    cleaned = " ".join(_FENCE.sub("", text or "").split())
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def build_prompt(
    facts: dict[str, Any], model: str | None = None, budget: int = PROMPT_TOKEN_BUDGET
) -> Prompt:
    """The most important facts that fit in `budget` tokens of `model`, as chat messages.

    Keeps the longest prefix of the ranked items that fits (binary search: rendering and
    counting a 3k-token prompt takes milliseconds, so this is cheap even for huge workspaces).
    """
    ranked = [(section, item) for section in SECTIONS for item in facts.get(section, [])]
    system = (
        environment("prompts", "text")
        .get_template(SYSTEM_TEMPLATE)
        .render(
            date=facts["date"],
            example_key=next((i["key"] for _, i in ranked if i.get("key")), "ENG-1"),
        )
    )

    def render(n: int) -> tuple[list[dict[str, str]], int]:
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": _render_user(facts, ranked[:n])},
        ]
        return messages, count_tokens(messages, model)

    # Each item costs well over 10 tokens, so more than budget/10 can never fit.
    lo, hi = 0, min(len(ranked), budget // 10)
    best = render(0)
    if best[1] > budget:
        raise ValueError(f"the prompt without any ticket is over {budget} tokens")
    while lo < hi:
        mid = (lo + hi + 1) // 2
        candidate = render(mid)
        if candidate[1] <= budget:
            lo, best = mid, candidate
        else:
            hi = mid - 1
    messages, tokens = best
    return Prompt(messages=messages, tokens=tokens, shown=lo, total=len(ranked))


def corrective_message(unknown_keys: list[str]) -> dict[str, str]:
    """The follow-up turn asking the model to drop ticket keys it invented."""
    return {
        "role": "user",
        "content": (
            "Your summary mentions ticket keys that are not in the data: "
            f"{', '.join(unknown_keys)}. Rewrite the summary using only ticket keys that appear "
            "between <tickets> and </tickets>."
        ),
    }


def template_fingerprint() -> str:
    """Hash of both prompt templates: editing a template must invalidate cached summaries."""
    digest = hashlib.sha256()
    for name in (SYSTEM_TEMPLATE, USER_TEMPLATE):
        digest.update((PROMPTS_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def _render_user(facts: dict[str, Any], shown: list[tuple[str, dict[str, Any]]]) -> str:
    counts = facts.get("counts", {})
    sections = []
    for section in SECTIONS:
        total = counts.get(section, len(facts.get(section, [])))
        if not total:
            continue
        items = [_item(item) for name, item in shown if name == section]
        sections.append(
            {
                "title": SECTION_TITLES[section],
                "total": total,
                "tickets": items,
                "more": total - len(items),
            }
        )
    sprint = facts.get("sprint")
    if sprint:
        sprint = {
            "name": fence_safe(sprint.get("name"), TITLE_CHARS),
            "start": sprint.get("start"),
            "end": sprint.get("end"),
            "metrics": sprint.get("metrics"),
        }
    return (
        environment("prompts", "text")
        .get_template(USER_TEMPLATE)
        .render(
            date=facts["date"],
            timezone=facts.get("timezone", "UTC"),
            counts=[(SECTION_TITLES[s].lower(), counts.get(s, 0)) for s in SECTIONS],
            sprint=sprint,
            sections=sections,
        )
    )


def _item(fact: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": fence_safe(fact.get("key")) or "(no key)",
        "title": fence_safe(fact.get("title"), TITLE_CHARS),
        "assignees": fence_safe(", ".join(fact.get("assignees") or []), 80),
        "points": fact.get("points"),
        "reason": fence_safe(fact.get("reason"), 40),
        "description": fence_safe(fact.get("description"), 160),
    }
