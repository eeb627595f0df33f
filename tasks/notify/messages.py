"""Chat messages: the sprint's headline figures, what needs attention, and a short summary.

A chat post is read on a phone between other messages, so it carries only what a lead acts on:
completion (completed of scope points), remaining and blocked counts, the forecast in words
with the odds sentence, the first few rows of the report's ranked attention list (`at_risk`),
and the opening lines of the daily summary. Every figure comes from the one sprint report
(`tasks.metrics.report.sprint_report`) through the email's own formatters, so chat, email and
CLI print the same numbers.

Each message is rendered three times — Markdown, HTML and plain text — and the sender picks
the one the service renders (`ChatMessage.body_for`, from Apprise's `notify_format` of the URL).
HTML is ours rather than Apprise's conversion of the Markdown, so e-mail gets clean text and
HTML parts and every piece of hostile text is escaped by `html.escape`. Hostile text (ticket titles, sprint names, the
model's summary) is made one line, stripped of URLs and kept from pinging a whole channel
(`@here`, `@everyone`, `<!channel>`). In the Markdown body it goes into a code span (titles) or
loses the characters chat Markdown acts on (the summary): Slack, Teams and Discord each escape
differently (Slack not at all), and a backslash escape shows up literally in some of them. The only links are ticket URLs
from the report that point at Notion (`safe_ticket_url`); the model's text never adds one.
There is no link to the HTML report: it is a local file, and no setting names a published copy.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tasks.email.render import (
    completion_percent,
    health_label,
    long_date,
    one_line,
    safe_ticket_url,
    without_links,
)
from tasks.email.summary_markdown import markdown_text
from tasks.metrics.odds import odds_sentence
from tasks.summary.template_summary import without_label

#: Rows of the attention list a post shows; the rest are counted ("and 3 more").
ATTENTION_ROWS = 3
#: Lines of the daily summary a post shows; the full text is in the email and the summary file.
SUMMARY_LINES = 6
#: Chat clients wrap lines themselves; the summary's lines are not wrapped before that.
_NO_WRAP = 10_000
#: The `body_for` formats (Apprise's `NotifyFormat` values).
MARKDOWN, HTML, TEXT = "markdown", "html", "text"

_MASS_MENTION = re.compile(r"(?i)@(?=(everyone|here|channel|all)\b)|<!")
#: What Slack, Teams and Discord Markdown act on; dropped from text shown outside a code span.
_CHAT_MARKUP = re.compile(r"[`*_~<>|\[\]\\]")


@dataclass(frozen=True)
class ChatMessage:
    """One message for every chat URL. `key` identifies it in the chat outbox (one post per
    key and URL), e.g. `daily-summary:2026-11-24`."""

    key: str
    title: str
    markdown: str
    text: str
    html: str

    def body_for(self, body_format: str) -> str:
        """The body in `body_format` (`markdown`, `html`, anything else: plain text)."""
        return {MARKDOWN: self.markdown, HTML: self.html}.get(body_format, self.text)


def _quiet(text: str) -> str:
    """No channel-wide mention can come out of Notion or model text."""
    return _MASS_MENTION.sub(lambda m: "@\u2060" if m.group(0) == "@" else "<\u2060!", text)


def _code(text: str) -> str:
    """Hostile text shown literally in chat Markdown: a code span, without backticks."""
    inner = text.replace("`", "'").strip()
    return f"`{inner}`" if inner else ""


def _inert(text: str) -> str:
    """Text outside a code span with nothing chat Markdown would format or link."""
    return _CHAT_MARKUP.sub("", text)


def _points(value: Any) -> str:
    try:
        return f"{float(value or 0):g}"
    except (TypeError, ValueError):
        return "0"


def headline(report: Mapping[str, Any]) -> tuple[str, str, str]:
    """The sprint's figures as (Markdown, text, HTML), e.g. `Sprint 42: 68% done (34 of 50
    points), 16 remaining, 2 blocked. Forecast: on track.` and the odds sentence below."""
    metrics = report.get("metrics") or {}
    sprint = report.get("sprint") or {}
    name = _quiet(one_line(sprint.get("name") or "Sprint", 80))
    pct = completion_percent(metrics)
    figures = (
        f"({_points(metrics.get('completed_points'))} of {_points(metrics.get('scope_points'))} "
        f"points), {_points(metrics.get('remaining_points'))} remaining, "
        f"{int(float(metrics.get('blocked_count') or 0))} blocked. "
        f"Forecast: {health_label(metrics.get('forecast'))}."
    )
    odds = odds_sentence(dict(metrics), sprint.get("end"))
    tail = f"\n{odds}" if odds else ""
    markdown = f"**{_inert(name)}: {pct}% done** {figures}{tail}"
    text = f"{name}: {pct}% done {figures}{tail}"
    markup = f"<b>{html.escape(name)}: {pct}% done</b> {html.escape(figures)}"
    if odds:
        markup += f"<br/>{html.escape(odds)}"
    return markdown, text, markup


def attention(report: Mapping[str, Any], rows: int = ATTENTION_ROWS) -> tuple[str, str, str]:
    """The first `rows` of the ranked attention list, in the report's order, with the reason,
    as (Markdown, text, HTML); empty strings when nothing needs attention."""
    ranked = list(report.get("at_risk") or [])
    if not ranked:
        return "", "", ""
    md_lines, text_lines = ["Needs attention:"], ["Needs attention:"]
    html_lines = ["<b>Needs attention:</b>"]
    for row in ranked[:rows]:
        key = _quiet(one_line(row.get("key") or "", 32))
        title = _quiet(without_links(one_line(row.get("title") or "(untitled)", 100)))
        reason = one_line(row.get("reason") or "", 40)
        url = safe_ticket_url(row.get("url"))
        shown_key = f"[{_inert(key)}]({url})" if url and key else _inert(key)
        md_lines.append(f"- {shown_key} {_code(title)} — {reason}".replace("  ", " "))
        text_lines.append(f"- {key} {title} — {reason}".replace("  ", " "))
        shown = (
            f'<a href="{html.escape(url)}">{html.escape(key)}</a>'
            if url and key
            else html.escape(key)
        )
        html_lines.append(f"• {shown} {html.escape(title)} — {html.escape(reason)}")
    if len(ranked) > rows:
        more = f"- and {len(ranked) - rows} more"
        md_lines.append(more)
        text_lines.append(more)
        html_lines.append(f"• and {len(ranked) - rows} more")
    return "\n".join(md_lines), "\n".join(text_lines), "<br/>".join(html_lines)


def summary_excerpt(
    text: str, generated_by: str, title: str = "", lines: int = SUMMARY_LINES
) -> str:
    """The opening lines of the daily summary as plain text (Markdown markup removed, URLs
    replaced, the template's operator label dropped, a first line repeating the post's `title`
    dropped), with `…` when cut. Lines are not wrapped: chat clients wrap."""
    if generated_by == "template":
        text = without_label(text)
    plain = [
        _quiet(one_line(line, 600))
        for line in markdown_text(without_links(text), width=_NO_WRAP)
        if line.strip()
    ]
    if plain and title and plain[0].split(" — ")[0] == title.split(" — ")[0]:
        plain = plain[1:]
    cut = plain[:lines]
    if len(plain) > lines:
        cut.append("…")
    return "\n".join(cut)


def _plain_part(text: str) -> tuple[str, str, str]:
    """Plain text as a (Markdown, text, HTML) part."""
    return _inert(text), text, "<br/>".join(html.escape(line) for line in text.splitlines())


def _compose(key: str, title: str, parts: list[tuple[str, str, str]]) -> ChatMessage:
    return ChatMessage(
        key=key,
        title=title,
        markdown="\n\n".join(part[0] for part in parts if part[0]),
        text="\n\n".join(part[1] for part in parts if part[1]),
        html="".join(f"<p>{part[2]}</p>" for part in parts if part[2]),
    )


def daily_summary_message(
    day: date, report: Mapping[str, Any] | None, summary: str, generated_by: str
) -> ChatMessage:
    """The day's post: figures and attention list of the current sprint (when there is one),
    then the opening of the summary. Keyed by day: a rerun of the day posts nothing new."""
    title = f"Daily summary — {long_date(day)}"
    parts: list[tuple[str, str, str]] = []
    if report:
        parts += [headline(report), attention(report)]
    excerpt = summary_excerpt(summary, generated_by, title)
    if excerpt:
        parts.append(_plain_part(excerpt))
    return _compose(f"daily-summary:{day.isoformat()}", title, parts)


def stakeholder_update_message(report: Mapping[str, Any], email_key: str) -> ChatMessage:
    """The stakeholder update's post, keyed like its email (audience, sprint and period), so
    it is posted once per period exactly as the email is sent once."""
    sprint = _quiet(one_line((report.get("sprint") or {}).get("name") or "Sprint", 80))
    parts = [headline(report), attention(report)]
    return _compose(f"update:{email_key}", f"Stakeholder update — {sprint}", parts)


def failure_alert_message(run_id: str, line: str) -> ChatMessage:
    """A failed run's alert (the one line `flows.hooks.failure_line` logs), keyed by the run:
    a hook that fires twice for one run posts once."""
    text = _quiet(one_line(line, 400))
    body = f"{text}\nOpen the run in the Prefect UI to see its logs."
    return _compose(f"alert:{run_id}", "Conductor: a flow run failed", [_plain_part(body)])
