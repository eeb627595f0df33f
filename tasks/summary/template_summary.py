"""The deterministic summary used when no model is configured or none can answer.

Same facts, no model: a reader still learns what moved today, and the first line says plainly
that no LLM wrote it, so nobody mistakes it for a written summary. It is Markdown that lands
in the summary file and the Prefect UI, so every piece of Notion text in it (keys, titles,
sprint and people names) goes through `escape_markdown`.
"""

from __future__ import annotations

from typing import Any

from tasks.metrics.odds import odds_sentence
from tasks.summary.facts import SECTIONS
from tasks.summary.prompt import SECTION_TITLES, fence_safe
from tasks.templating import escape_markdown

TEMPLATE_LABEL = "template"
#: How the label line starts (`without_label` finds it by this).
LABEL_START = "_Generated without an LLM"
#: Items listed per section before "and N more".
ITEMS_PER_SECTION = 10


def render_template_summary(facts: dict[str, Any], reason: str | None = None) -> str:
    """Markdown summary of `facts`; `reason` (e.g. "no LLM configured") is shown in the label."""
    why = f" ({reason})" if reason else ""
    lines = [
        f"# Daily summary — {facts['date']}",
        "",
        f"{LABEL_START} from the day's facts{why}._",
        "",
        _sprint_line(facts.get("sprint")),
    ]
    counts = facts.get("counts", {})
    if not any(counts.get(section) for section in SECTIONS):
        lines += ["", "No ticket changed status or sprint today."]
    for section in SECTIONS:
        items = facts.get(section, [])
        total = counts.get(section, len(items))
        if not total:
            continue
        lines += ["", f"## {SECTION_TITLES[section]} ({total})"]
        for item in items[:ITEMS_PER_SECTION]:
            lines.append(f"- {_ticket_line(item)}")
        if total > min(len(items), ITEMS_PER_SECTION):
            lines.append(f"- and {total - min(len(items), ITEMS_PER_SECTION)} more")
    return "\n".join(lines).rstrip() + "\n"


def without_label(text: str) -> str:
    """A template summary without its label line (and the blank line after it), for a reader
    that says the same in its own words: the email tells stakeholders in a note of its own,
    without the operator's reason ("no LLM configured")."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(LABEL_START):
            following = lines[index + 1 : index + 2] == [""]
            del lines[index : index + 1 + following]
            break
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def _sprint_line(sprint: dict[str, Any] | None) -> str:
    if not sprint:
        return "No sprint is running."
    line = f"**{escape_markdown(fence_safe(sprint.get('name')))}** ({sprint.get('start')} → {sprint.get('end')})"
    metrics = sprint.get("metrics") or {}
    if metrics:
        line += (
            f": {_num(metrics.get('completed_points'))} of {_num(metrics.get('scope_points'))}"
            f" points done ({_num(metrics.get('completion_pct'))}%),"
            f" {metrics.get('blocked_count', 0)} blocked, forecast"
            f" {str(metrics.get('forecast') or 'unknown').replace('_', ' ')}."
        )
        odds = odds_sentence(metrics, sprint.get("end"))
        if odds:
            line += f" {odds}"
    return line


def _ticket_line(item: dict[str, Any]) -> str:
    key = escape_markdown(item.get("key") or "") or "(no key)"
    text = f"**{key}** {escape_markdown(fence_safe(item.get('title'), 100))}"
    if item.get("assignees"):
        text += f" — {escape_markdown(', '.join(item['assignees']))}"
    if item.get("reason"):
        text += f" ({escape_markdown(fence_safe(item['reason'], 40))})"
    return text


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "?" if value is None else str(value)
