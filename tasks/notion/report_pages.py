"""Publish the daily summary and the sprint report into Notion, under the reports page.

Plain functions (the flows wrap them in tasks). Each one: reads what we remember about the page
(`models.publications`), links ticket keys to *our stored* tickets only, writes through
`publish.publish_page` (idempotent), and records the outcome, success or failure, on the
publication's row. A failure raises `ReportPublishError` (one line, with the cause) after it is
recorded; the flows log it and carry on, because a summary that could not be published is still
a summary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models.base import utcnow
from models.db import session_scope
from models.errors import ConductorError
from models.publications import FAILED, PUBLISHED, publication, save_publication
from models.settings import Settings
from models.tickets import Ticket
from tasks.notion.blocks import Block, keys_in
from tasks.notion.client import NotionGateway
from tasks.notion.publish import publish_page
from tasks.notion.report_blocks import (
    sprint_report_blocks,
    sprint_report_title,
    summary_blocks,
    summary_title,
)


class ReportPublishError(ConductorError):
    """A report could not be published into Notion; the message names the page and the cause."""


def publish_daily_summary(
    day: date, text: str, settings: Settings, *, gateway: NotionGateway | None = None
) -> dict[str, Any] | None:
    """The day's summary as the page "Daily summary — YYYY-MM-DD"; None when no reports page
    is configured. Returns `{"key", "title", "page_id", "url", "action", "blocks", "requests"}`."""
    return _publish(
        f"daily-summary:{day.isoformat()}",
        summary_title(day),
        keys_in(text),
        lambda tickets: summary_blocks(day, text, tickets),
        settings,
        gateway,
    )


def publish_sprint_report(
    report: dict[str, Any], settings: Settings, *, gateway: NotionGateway | None = None
) -> dict[str, Any] | None:
    """The sprint report as the page "Sprint report — <sprint name>", one per sprint (keyed by
    the sprint's id, so a renamed sprint keeps its page); None when no reports page is set."""
    keys = {row["key"] for row in report.get("at_risk") or [] if row.get("key")}
    return _publish(
        f"sprint-report:{report['sprint']['id']}",
        sprint_report_title(report),
        keys,
        lambda tickets: sprint_report_blocks(report, tickets),
        settings,
        gateway,
    )


def ticket_pages(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Key → Notion page id of the stored, not removed tickets with those keys. A key two
    tickets share is left out: a link must never point at the wrong ticket."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.exec(
        select(Ticket.key, Ticket.id).where(
            col(Ticket.key).in_(wanted), col(Ticket.removed_at).is_(None)
        )
    ).all()
    found: dict[str, str] = {}
    shared: set[str] = set()
    for key, page_id in rows:
        if key in found:
            shared.add(key)
        found[str(key)] = page_id
    return {key: page_id for key, page_id in found.items() if key not in shared}


def _publish(
    key: str,
    title: str,
    candidate_keys: Iterable[str],
    build: Callable[[Mapping[str, str]], list[Block]],
    settings: Settings,
    gateway: NotionGateway | None,
) -> dict[str, Any] | None:
    parent = settings.notion_reports_page_id
    if not parent:
        return None
    with session_scope(settings.database_url) as session:
        row = publication(session, key)
        same_parent = row is not None and row.parent_page_id == parent
        known_page_id = row.page_id if row is not None and same_parent else None
        known_hash = row.content_hash if row is not None and same_parent else None
        blocks = build(ticket_pages(session, candidate_keys))
    base = {"key": key, "title": title, "parent_page_id": parent}
    try:
        if gateway is None:
            with NotionGateway.from_settings(settings) as own:
                published = publish_page(
                    own, parent, title, blocks, known_page_id=known_page_id, known_hash=known_hash
                )
        else:
            published = publish_page(
                gateway, parent, title, blocks, known_page_id=known_page_id, known_hash=known_hash
            )
    except ConductorError as exc:
        _record(
            settings,
            {
                **base,
                "page_id": None,
                "url": None,
                "status": FAILED,
                "content_hash": "",
                "blocks": len(blocks),
                "requests": 0,
                "last_error": str(exc)[:1000],
                "published_at": None,
            },
        )
        raise ReportPublishError(f"publishing {title!r} to Notion failed: {exc}") from exc
    _record(
        settings,
        {
            **base,
            "page_id": published.page_id,
            "url": published.url,
            "status": PUBLISHED,
            "content_hash": published.content_hash,
            "blocks": published.blocks,
            "requests": published.requests,
            "last_error": None,
            "published_at": utcnow(),
        },
    )
    return {
        "key": key,
        "title": title,
        "page_id": published.page_id,
        "url": published.url,
        "action": published.action,
        "blocks": published.blocks,
        "requests": published.requests,
    }


def _record(settings: Settings, row: dict[str, Any]) -> None:
    with session_scope(settings.database_url) as session:
        save_publication(session, row)
