"""Turn a sprint report into the update email: subject, HTML and text parts, and the MIME message.

Everything that reaches the templates passes through `build_context`, which is the one place
that decides what is trusted:

- ticket titles, sprint names and the summary are *hostile text* (anyone who can edit a Notion
  page, or steer the model, writes them). HTML autoescaping handles markup; `one_line` strips
  control characters and newlines so a title cannot fake structure in the text part or a header.
- links are only ticket URLs from the report or the ticket table, and only to Notion hosts;
  the model's summary never contributes a link: anything a mail client would make clickable
  (URLs of any linkable scheme, `mailto:`, e-mail addresses, bare domains such as
  `evil.example.com/login`) is replaced by `[link removed]` in both parts, after Markdown
  escapes are decoded, so `https\\://…` cannot slip through either.
- recipients are not decided here at all (see `tasks.email.delivery.configured_recipients`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from models.base import utcnow
from models.errors import ConductorError
from tasks.email import summary_markdown
from tasks.metrics.odds import odds_sentence
from tasks.summary.template_summary import TEMPLATE_LABEL, without_label
from tasks.templating import environment

AUDIENCES = ("stakeholders", "team")

#: Hosts a ticket link may point at. Anything else is shown as text without a link.
NOTION_HOSTS = ("notion.so", "notion.site")

HEALTH_LABELS = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track"}
#: Inline colours (Gmail/Outlook drop `<style>` blocks): background, text.
HEALTH_COLOURS = {
    "on_track": ("#e6f4ea", "#137333"),
    "at_risk": ("#fef7e0", "#b06000"),
    "off_track": ("#fce8e6", "#c5221f"),
    None: ("#f1f3f4", "#3c4043"),
}
TOP_RISKS = 5
TEAM_LIST_LIMIT = 15

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")
#: What a mail client may turn into a link: a URL of a linkable scheme, `www.…`, an e-mail
#: address, or a bare domain (labels, then a top-level domain of letters or punycode), with
#: any port and path. Bare domains catch some file names too (`setup.py`): a lost word in a
#: summary is cheaper than a phishing link chosen by the model.
_URL_IN_TEXT = re.compile(
    r"(?i)\b(?:(?:https?|ftp|file|mailto|tel|sms|callto|javascript|data|ssh|irc):|www\.)\S+"
    r"|[\w.+-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[\w-]+)+"
    r"|\b(?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:[^\W\d_]{2,}|xn--[\w-]+)\b(?::\d+)?(?:[/?#]\S*)?"
)
#: Punctuation that ends a sentence after a link, kept after `[link removed]`.
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
_SPACES = re.compile(r"\s+")


class UnknownAudienceError(ConductorError):
    """An audience with no templates."""


@dataclass(frozen=True)
class UpdateInputs:
    """What one update is built from: the sprint report (`tasks.metrics.report.sprint_report`,
    the only source of ticket links), the latest daily summary and the burndown PNG
    (`tasks.email.inputs.load_update_inputs` loads them)."""

    report: dict[str, Any]
    today: date
    summary: dict[str, Any] | None = None
    chart_png: bytes | None = None
    #: When the figures were true: the last sync from Notion, in the team's zone (None: only
    #: `today` is known, e.g. data that was never synced).
    figures_as_of: datetime | None = None


@dataclass(frozen=True)
class RenderedUpdate:
    """A rendered update, ready to be addressed and sent.

    `html` references the chart as `cid:{chart_cid}`; `compose_message` attaches `chart_png`
    under that Content-ID.
    """

    audience: str
    sprint_id: str | None
    subject: str
    html: str
    text: str
    chart_png: bytes | None = None
    chart_cid: str = "burndown@conductor"


# ---------------------------------------------------------------------------- sanitising


def one_line(value: Any, limit: int = 160) -> str:
    """`value` as a single line of at most `limit` characters, without control characters.

    Applied to every piece of Notion or model text the email shows, so a title with newlines
    or bidi overrides cannot forge lines in the text part or headers in the subject.
    """
    text = _CONTROL.sub(" ", "" if value is None else str(value))
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def summary_html(markdown_text: str) -> Markup:
    """The summary's Markdown (headings demoted below the email's own, lists, emphasis) as
    HTML that cannot carry markup or links of its own: raw HTML is escaped, link/image/autolink
    syntax stays literal text, control characters other than line breaks are dropped first,
    and `without_links` runs on the text as rendered (escapes decoded)."""
    return Markup(
        summary_markdown.markdown_html(_without_control(markdown_text), scrub=without_links)
    )


def summary_text(markdown_text: str) -> list[str]:
    """The summary's Markdown as plain-text lines without markup characters (bullets wrapped
    with a hanging indent), control characters other than line breaks dropped first, links
    removed from the text as a reader sees it."""
    return summary_markdown.markdown_text(_without_control(markdown_text), scrub=without_links)


def _without_control(markdown_text: str) -> str:
    return "\n".join(_CONTROL.sub(" ", line) for line in markdown_text.splitlines())


def without_links(text: str) -> str:
    """Model text with everything a mail client could make clickable replaced, so the summary
    can never carry a link. Punctuation ending a sentence after a link is kept."""
    return _URL_IN_TEXT.sub(_replace_link, text)


def _replace_link(match: re.Match[str]) -> str:
    link = match.group(0)
    trailing = len(link) - len(link.rstrip(_TRAILING_PUNCTUATION))
    return "[link removed]" + (link[-trailing:] if trailing else "")


def safe_ticket_url(url: Any) -> str | None:
    """`url` when it is an https link to a Notion host, else None (shown without a link)."""
    if not isinstance(url, str) or _CONTROL.search(url) or " " in url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username or parts.password:
        return None
    if any(host == allowed or host.endswith("." + allowed) for allowed in NOTION_HOSTS):
        return url
    return None


# ---------------------------------------------------------------------------- rendering


def check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise UnknownAudienceError(
            f"unknown audience {audience!r}; use --audience {' or '.join(AUDIENCES)}"
        )
    return audience


def health_label(forecast: str | None) -> str:
    return HEALTH_LABELS.get(forecast or "", "no forecast")


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _points(value: Any) -> str:
    return f"{_number(value):g}"


def completion_percent(metrics: Mapping[str, Any]) -> str:
    """Completion as the report states it (`completion_pct`, one decimal, e.g. "52.3"), so the
    email, the CLI and the HTML report print the same figure; completed/scope points when a
    report lacks it."""
    if metrics.get("completion_pct") is not None:
        return f"{_number(metrics['completion_pct']):g}"
    scope = _number(metrics.get("scope_points"))
    share = 100 * _number(metrics.get("completed_points")) / scope if scope else 0.0
    return f"{round(share, 1):g}"


def subject_line(report: Mapping[str, Any]) -> str:
    """E.g. `Sprint 42 — on track: 68% done, 2 blocked` (one line, sprint name sanitised)."""
    metrics = report.get("metrics") or {}
    name = one_line((report.get("sprint") or {}).get("name") or "Sprint", 80)
    blocked = int(_number(metrics.get("blocked_count")))
    return (
        f"{name} — {health_label(metrics.get('forecast'))}: "
        f"{completion_percent(metrics)}% done, {blocked} blocked"
    )


def forecast_reason(report: Mapping[str, Any], today: date) -> str:
    """Why the forecast says what it says, in numbers a stakeholder can check.

    Uses the report's own `forecast_detail.reason` (throughput times working days left against the
    remaining points) when it gives one; otherwise compares remaining points with the ideal
    burndown line for today.
    """
    metrics = report.get("metrics") or {}
    detail = report.get("forecast_detail")
    given = detail.get("reason") if isinstance(detail, Mapping) else None
    if isinstance(given, str) and given.strip():
        reason = one_line(given, 300)
        return reason if reason.endswith((".", "…", ")")) else reason + "."
    remaining = _number(metrics.get("remaining_points"))
    ideal = None
    for point in report.get("burndown") or []:
        day = point.get("date")
        day = date.fromisoformat(day) if isinstance(day, str) else day
        if isinstance(day, date) and day <= today and point.get("ideal_points") is not None:
            ideal = _number(point["ideal_points"])
    end = (report.get("sprint") or {}).get("end")
    end = date.fromisoformat(end) if isinstance(end, str) else end
    parts = [f"{_points(remaining)} points remain"]
    if ideal is not None:
        gap = remaining - ideal
        if abs(gap) < 0.5:
            parts.append("right on the ideal burndown line")
        else:
            parts.append(
                f"{_points(abs(gap))} points {'behind' if gap > 0 else 'ahead of'} the ideal line"
            )
    if isinstance(end, date):
        days_left = _working_days(today, end)
        parts.append(f"{days_left} working day{'s' if days_left != 1 else ''} left")
    return ", ".join(parts) + "."


def _working_days(today: date, end: date) -> int:
    """Weekdays after `today` up to and including `end`."""
    count, day = 0, today
    while day < end:
        day += timedelta(days=1)
        count += day.weekday() < 5
    return count


def _ticket_view(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": one_line(item.get("key") or "", 32),
        "title": one_line(item.get("title") or "(untitled)"),
        "url": safe_ticket_url(item.get("url")),
    }


def _top_risks(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report's ranked attention list (`at_risk`), as the CLI and the HTML report show it."""
    return [
        {**_ticket_view(row), "reason": one_line(str(row.get("reason") or ""), 80)}
        for row in report.get("at_risk") or []
    ]


def summary_note(day: Any, generated_by: str) -> str:
    """Where the summary comes from, in a stakeholder's words: the day it covers, and whether
    the AI writer wrote it or it was assembled from the tracker without one."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    of = f"Summary of {long_date(day)}" if isinstance(day, date) else "Summary"
    if generated_by == TEMPLATE_LABEL or not generated_by:
        return f"{of}. It was assembled automatically from the tracker, without the AI writer."
    return f"{of}, written by the AI writer ({generated_by})."


def figures_as_of(inputs: UpdateInputs) -> str:
    """E.g. `Figures as of 05:57 UTC on 3 Dec 2026, the last sync from Notion.`: a time that was
    true when the mail was built, not "the end of" a day that has not ended yet."""
    at = inputs.figures_as_of
    if at is None:
        return f"Figures as of {long_date(inputs.today)}."
    return f"Figures as of {at:%H:%M} {at.tzname() or 'UTC'} on {long_date(at.date())}, the last sync from Notion."


def long_date(day: date) -> str:
    """`3 Dec 2026`: unambiguous in every locale, unlike 12/03."""
    return f"{day.day} {day:%b %Y}"


def build_context(inputs: UpdateInputs, audience: str) -> dict[str, Any]:
    """The template context: numbers formatted, hostile text made one-line, links vetted."""
    report = inputs.report
    metrics = report.get("metrics") or {}
    sprint = report.get("sprint") or {}
    forecast = metrics.get("forecast")
    background, colour = HEALTH_COLOURS.get(forecast, HEALTH_COLOURS[None])
    blocked = sorted(report.get("blocked") or [], key=lambda b: -_number(b.get("days_blocked")))
    blocked_view = [
        {**_ticket_view(b), "days_blocked": int(_number(b.get("days_blocked")))} for b in blocked
    ]
    added, removed = _number(metrics.get("added_points")), _number(metrics.get("removed_points"))
    top_risks = _top_risks(report)
    risks = []
    if metrics.get("unpointed_count"):
        risks.append(f"{int(_number(metrics['unpointed_count']))} ticket(s) have no estimate")
    if added - removed > 0:
        risks.append(f"scope grew by {_points(added - removed)} points since the sprint started")
    summary = None
    if inputs.summary and (inputs.summary.get("text") or "").strip():
        text = without_links(str(inputs.summary["text"]))
        by = one_line(inputs.summary.get("generated_by") or "", 80)
        if by == TEMPLATE_LABEL:
            # The label line is for whoever runs Conductor; `note` says it to a stakeholder.
            text = without_label(text)
        summary = {
            "text_lines": summary_text(text),
            "html": summary_html(text),
            "note": summary_note(inputs.summary.get("day"), by),
        }
    return {
        "audience": audience,
        "subject": subject_line(report),
        "today": inputs.today,
        "figures_as_of": figures_as_of(inputs),
        "sprint": {
            "name": one_line(sprint.get("name") or "Sprint", 80),
            "start": sprint.get("start"),
            "end": sprint.get("end"),
        },
        "health": {"label": health_label(forecast), "background": background, "colour": colour},
        "completion_pct": completion_percent(metrics),
        "forecast_reason": forecast_reason(report, inputs.today),
        "odds": odds_sentence(metrics, sprint.get("end")),
        "metrics": {
            "scope": _points(metrics.get("scope_points")),
            "completed": _points(metrics.get("completed_points")),
            "remaining": _points(metrics.get("remaining_points")),
            "committed": _points(metrics.get("committed_points")),
            "added": _points(added),
            "removed": _points(removed),
            "ticket_count": int(_number(metrics.get("ticket_count"))),
            "done_count": int(_number(metrics.get("done_count"))),
            "blocked_count": int(_number(metrics.get("blocked_count"))),
            "unpointed_count": int(_number(metrics.get("unpointed_count"))),
            "velocity": (
                _points(metrics["velocity"]) if metrics.get("velocity") is not None else None
            ),
        },
        "scope_changed": bool(added or removed),
        "top_risks": top_risks[:TOP_RISKS],
        "more_risks": max(0, len(top_risks) - TOP_RISKS),
        "blocked": blocked_view[:TEAM_LIST_LIMIT],
        "more_blocked": max(0, len(blocked_view) - TEAM_LIST_LIMIT),
        "risks": risks,
        "summary": summary,
        "by_status": [
            {
                "name": one_line(name, 40),
                "count": int(_number(v.get("count"))),
                "points": _points(v.get("points")),
            }
            for name, v in (report.get("by_status") or {}).items()
        ],
        "by_assignee": [
            {
                "name": one_line(a.get("name") or "Unassigned", 60),
                "open_count": int(_number(a.get("open_count"))),
                "open_points": _points(a.get("open_points")),
                "done_points": _points(a.get("done_points")),
            }
            for a in report.get("by_assignee") or []
        ],
        "aging": [
            {
                **_ticket_view(a),
                "status": one_line(a.get("status") or "—", 40),
                "days_in_status": int(_number(a.get("days_in_status"))),
            }
            for a in sorted(
                report.get("aging") or [], key=lambda a: -_number(a.get("days_in_status"))
            )[:TEAM_LIST_LIMIT]
        ],
        "has_chart": bool(inputs.chart_png),
    }


_HTML_ENV, _TEXT_ENV = environment("email", "html"), environment("email", "text")


def render_email(inputs: UpdateInputs, audience: str) -> RenderedUpdate:
    """Render both parts for `audience` (`stakeholders` or `team`)."""
    check_audience(audience)
    context = build_context(inputs, audience)
    chart_cid = "burndown@conductor"
    html = _HTML_ENV.get_template(f"{audience}.html.j2").render(
        **context, chart_src=f"cid:{chart_cid}"
    )
    text = _TEXT_ENV.get_template(f"{audience}.txt.j2").render(**context)
    return RenderedUpdate(
        audience=audience,
        sprint_id=(inputs.report.get("sprint") or {}).get("id"),
        subject=context["subject"],
        html=html,
        text=text,
        chart_png=inputs.chart_png,
        chart_cid=chart_cid,
    )


def compose_message(
    update: RenderedUpdate,
    sender: str,
    recipients: Sequence[str],
    message_id: str,
    now: datetime | None = None,
) -> EmailMessage:
    """The MIME message: `alternative(text/plain, related(text/html, image/png))`.

    That nesting is what Gmail, Outlook and Apple Mail all show as one HTML mail with the chart
    inline (and the text part for plain-text readers), and it survives forwarding unchanged.
    """
    message = EmailMessage()
    message["Subject"] = update.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now or utcnow())
    message["Message-ID"] = message_id
    message.set_content(update.text)
    message.add_alternative(update.html, subtype="html")
    if update.chart_png:
        html_part = message.get_payload()[1]  # type: ignore[index]
        html_part.add_related(
            update.chart_png,
            maintype="image",
            subtype="png",
            cid=f"<{update.chart_cid}>",
            filename="burndown.png",
            disposition="inline",
        )
    return message
