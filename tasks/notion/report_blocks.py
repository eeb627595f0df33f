"""The Notion pages Conductor publishes: their titles and their blocks, from computed data.

The daily summary page is the summary's Markdown (`blocks.markdown_blocks`); the sprint report
page is built from `tasks.metrics.report.sprint_report` with the same figures and wording as the
other channels (`odds_sentence`, the ranked `at_risk` list). Content depends only on the data,
never on the time of publishing, so an unchanged report is recognised and left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from tasks.metrics.odds import odds_sentence
from tasks.notion.blocks import Block, bullet, heading, markdown_blocks, paragraph, table

#: Rows of the attention list shown on the page before "and N more".
ATTENTION_ROWS = 25


def summary_title(day: date) -> str:
    return f"Daily summary — {day.isoformat()}"


def sprint_report_title(report: dict[str, Any]) -> str:
    return f"Sprint report — {report['sprint']['name']}"


def summary_blocks(day: date, text: str, tickets: Mapping[str, str]) -> list[Block]:
    """The daily summary's Markdown as blocks (its `# Daily summary — …` line is the title)."""
    return markdown_blocks(text, tickets, skip_title=summary_title(day))


def sprint_report_blocks(report: dict[str, Any], tickets: Mapping[str, str]) -> list[Block]:
    """Headline figures, the forecast and its odds, what needs attention, tickets by status."""
    sprint, m = report["sprint"], report["metrics"]
    detail = report.get("forecast_detail") or {}
    forecast = str(m.get("forecast") or "unknown").replace("_", " ")
    blocks: list[Block] = [
        *paragraph(f"{sprint['start']} → {sprint['end']}, as of {sprint['as_of']}."),
        heading(2, "Where the sprint stands"),
        *bullet(
            f"**Completion:** {_num(m['completion_pct'])}% — {_num(m['completed_points'])} of "
            f"{_num(m['scope_points'])} points, {m['done_count']} of {m['ticket_count']} tickets"
        ),
        *bullet(
            f"**Scope:** {_num(m['scope_points'])} pts (committed {_num(m['committed_points'])}"
            f"{' est.' if m.get('committed_estimated') else ''}, added {_num(m['added_points'])}, "
            f"removed {_num(m['removed_points'])})"
        ),
        *bullet(
            f"**Completed:** {_num(m['completed_points'])} pts · **remaining:** "
            f"{_num(m['remaining_points'])} pts"
        ),
        *bullet(
            f"**Canceled:** {m['canceled_count']} tickets, {_num(m['canceled_points'])} pts "
            "(not counted as done)"
        ),
        *bullet(
            f"**Blocked:** {m['blocked_count']} · **unpointed:** {m['unpointed_count']} · "
            f"**velocity:** {_num(m['velocity']) if m.get('velocity') is not None else '—'} pts"
        ),
        *bullet(
            f"**Forecast:** {forecast}" + (f" — {detail['reason']}" if detail.get("reason") else "")
        ),
    ]
    odds = odds_sentence(m, sprint.get("end"))
    if odds:
        blocks += bullet(f"**Odds:** {odds}")
    at_risk = report.get("at_risk") or []
    blocks.append(heading(2, f"Needs attention ({len(at_risk)})"))
    if not at_risk:
        blocks += paragraph("Nothing blocked or aging.")
    for row in at_risk[:ATTENTION_ROWS]:
        line = f"**{row.get('key') or '(no key)'}** {row.get('title') or ''}"
        if row.get("assignees"):
            line += f" — {', '.join(row['assignees'])}"
        blocks += bullet(f"{line} ({row['reason']})", tickets)
    if len(at_risk) > ATTENTION_ROWS:
        blocks += bullet(f"and {len(at_risk) - ATTENTION_ROWS} more")
    by_status = report.get("by_status") or {}
    blocks.append(heading(2, "Tickets by status"))
    if by_status:
        rows = [["Status", "Tickets", "Points"]] + [
            [name, str(values.get("count", 0)), _num(values.get("points", 0))]
            for name, values in by_status.items()
        ]
        blocks.append(table(rows))
    else:
        blocks += paragraph("No tickets in this sprint.")
    return blocks


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "?" if value is None else str(value)
