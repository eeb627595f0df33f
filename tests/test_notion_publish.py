"""Publishing the daily summary and the sprint report into Notion (the sandbox), on SQLite and
PostgreSQL: one page per day and per sprint however often it runs, content within Notion's
limits, links only to tickets we store, and recovery from trashed pages and a lost database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, delete, select

from models.db import get_engine
from models.publications import FAILED, PUBLISHED, NotionPublication
from models.settings import Settings
from models.tickets import Ticket
from sandbox.server import Sandbox
from tasks.metrics import rollup
from tasks.notion.blocks import page_url
from tasks.notion.report_pages import (
    ReportPublishError,
    publish_daily_summary,
    publish_sprint_report,
)
from tests.factories import SAMPLE_TODAY
from tests.sandboxes import synced

pytestmark = pytest.mark.sandbox(40)

DAY = date(2026, 12, 3)
TITLE = "Daily summary — 2026-12-03"


@pytest.fixture
def settings(sandbox: Sandbox, db_url: str) -> Settings:
    return synced(
        sandbox, db_url, notion_reports_page_id=sandbox.reports_page_id, notion_rate_limit_rps=1000
    )


def _stored_ticket(settings: Settings) -> Ticket:
    with Session(get_engine(settings.database_url)) as session:
        ticket = session.exec(
            select(Ticket).where(Ticket.key.is_not(None)).order_by(Ticket.key)  # type: ignore[union-attr]
        ).first()
    assert ticket is not None and ticket.key
    return ticket


def _summary(key: str, extra: str = "") -> str:
    return (
        f"# {TITLE}\n\n"
        "_Generated without an LLM from the day's facts (no LLM configured)._\n\n"
        "**Sprint 46** (2026-11-30 → 2026-12-11): 10 of 40 points done.\n\n"
        "## Completed (2)\n"
        f"- **{key}** Fix the login — Alice\n"
        f"- **ZZZ-999** not ours, X{key} and {key}a look alike, [{key}](https://evil.example)\n"
        f"{extra}"
    )


def _pages_titled(sandbox: Sandbox, title: str) -> list[Any]:
    return [
        page
        for page in sandbox.content.child_pages(sandbox.reports_page_id)
        if "".join(item["text"]["content"] for item in page.title) == title
    ]


def _items(sandbox: Sandbox, page_id: str) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        (block.type, block.payload.get("rich_text", []))
        for block in sandbox.content.live_children(page_id)
    ]


def _wipe_publications(settings: Settings) -> None:
    with Session(get_engine(settings.database_url)) as session:
        session.exec(delete(NotionPublication))  # type: ignore[call-overload]
        session.commit()


def test_summary_page_exists_once_after_two_runs_and_after_a_lost_database(
    sandbox: Sandbox, settings: Settings
) -> None:
    key = _stored_ticket(settings).key or ""
    first = publish_daily_summary(DAY, _summary(key), settings)
    sandbox.reset_requests()
    second = publish_daily_summary(DAY, _summary(key), settings)
    assert first is not None and second is not None
    assert (first["action"], second["action"]) == ("created", "unchanged")
    assert second["page_id"] == first["page_id"]
    assert sandbox.requests == [("GET", f"/v1/pages/{first['page_id']}")]

    _wipe_publications(settings)
    third = publish_daily_summary(DAY, _summary(key, "- and 3 more\n"), settings)
    assert third is not None and third["action"] == "updated"
    assert third["page_id"] == first["page_id"]
    assert [page.id for page in _pages_titled(sandbox, TITLE)] == [first["page_id"]]
    assert sandbox.content.outline(first["page_id"])[-1] == {
        "type": "bulleted_list_item",
        "text": "and 3 more",
    }
    with Session(get_engine(settings.database_url)) as session:
        row = session.get(NotionPublication, "daily-summary:2026-12-03")
    assert row is not None and row.status == PUBLISHED and row.page_id == first["page_id"]


def test_summary_blocks_read_as_the_markdown_with_links_only_for_our_tickets(
    sandbox: Sandbox, settings: Settings
) -> None:
    ticket = _stored_ticket(settings)
    key = ticket.key or ""
    published = publish_daily_summary(DAY, _summary(key), settings)
    assert published is not None
    outline = sandbox.content.outline(published["page_id"])
    assert [entry["type"] for entry in outline] == [
        "paragraph",
        "paragraph",
        "heading_2",
        "bulleted_list_item",
        "bulleted_list_item",
    ], "the '# Daily summary' line is the page title, not a block"
    assert outline[2]["text"] == "Completed (2)"
    assert outline[3]["text"] == f"{key} Fix the login — Alice"
    blocks = _items(sandbox, published["page_id"])
    italic = blocks[0][1][0]
    assert italic["annotations"] == {"italic": True}
    known = blocks[3][1][0]
    assert known["text"] == {"content": key, "link": {"url": page_url(ticket.id)}}
    assert known["annotations"] == {"bold": True}
    look_alikes = blocks[4][1]
    assert all("link" not in item["text"] for item in look_alikes[:-1])
    assert "".join(item["text"]["content"] for item in look_alikes) == (
        f"ZZZ-999 not ours, X{key} and {key}a look alike, {key}"
    )
    assert look_alikes[-1]["text"]["link"] == {"url": page_url(ticket.id)}, (
        "a Markdown link keeps its text; the URL is our ticket's, not the text's"
    )
    assert not any("evil" in str(item) for _, items in blocks for item in items), (
        "no URL chosen by the text reaches Notion"
    )


def test_a_paragraph_over_2000_characters_is_split_into_text_items(
    sandbox: Sandbox, settings: Settings
) -> None:
    long = "word " * 900  # 4,500 characters
    published = publish_daily_summary(DAY, f"# {TITLE}\n\n{long}\n", settings)
    assert published is not None
    [(kind, items)] = _items(sandbox, published["page_id"])
    assert kind == "paragraph"
    assert [len(item["text"]["content"]) for item in items] == [2000, 2000, 499]
    assert "".join(item["text"]["content"] for item in items) == long.strip()


def test_more_than_100_blocks_are_appended_in_batches(sandbox: Sandbox, settings: Settings) -> None:
    text = f"# {TITLE}\n\n" + "".join(f"- item {n}\n" for n in range(250))
    sandbox.reset_requests()
    published = publish_daily_summary(DAY, text, settings)
    assert published is not None
    page_id = published["page_id"]
    assert sandbox.count("POST", "/v1/pages") == 1
    assert sandbox.count("PATCH", f"/v1/blocks/{page_id}/children", status=200) == 2
    outline = sandbox.content.outline(page_id)
    assert [entry["text"] for entry in outline] == [f"item {n}" for n in range(250)]

    sandbox.reset_requests()
    text = text.replace("- item 249\n", "- item 249, edited\n")
    again = publish_daily_summary(DAY, text, settings)
    assert again is not None and again["action"] == "updated"
    assert sandbox.count("DELETE") == 1, "blocks that read the same are kept"
    assert sandbox.content.outline(page_id)[-1]["text"] == "item 249, edited"
    assert len(sandbox.content.outline(page_id)) == 250


def test_a_trashed_page_is_created_anew(sandbox: Sandbox, settings: Settings) -> None:
    key = _stored_ticket(settings).key or ""
    first = publish_daily_summary(DAY, _summary(key), settings)
    assert first is not None
    sandbox.content.trash(first["page_id"])
    second = publish_daily_summary(DAY, _summary(key), settings)
    assert second is not None and second["action"] == "created"
    assert second["page_id"] != first["page_id"]
    assert [page.id for page in _pages_titled(sandbox, TITLE)] == [second["page_id"]]


def test_transient_notion_errors_are_retried_by_the_client(
    sandbox: Sandbox, settings: Settings
) -> None:
    sandbox.fail_next(1, 503, path_contains="/v1/pages")
    sandbox.fail_next(1, 429, path_contains="/children", retry_after=0)
    published = publish_daily_summary(DAY, f"# {TITLE}\n\nHello.\n", settings)
    assert published is not None and published["action"] == "created"
    assert len(_pages_titled(sandbox, TITLE)) == 1


def test_a_failed_publish_is_recorded_and_raised(sandbox: Sandbox, settings: Settings) -> None:
    missing = "0badc0de-0000-4000-8000-000000000000"
    wrong = settings.model_copy(update={"notion_reports_page_id": missing})
    with pytest.raises(ReportPublishError, match="CONDUCTOR_NOTION_REPORTS_PAGE_ID"):
        publish_daily_summary(DAY, f"# {TITLE}\n\nHello.\n", wrong)
    with Session(get_engine(settings.database_url)) as session:
        row = session.get(NotionPublication, "daily-summary:2026-12-03")
    assert row is not None and row.status == FAILED and row.page_id is None
    assert "404" in (row.last_error or "")


def test_nothing_is_published_without_a_reports_page(sandbox: Sandbox, db_url: str) -> None:
    plain = synced(sandbox, db_url)
    sandbox.reset_requests()
    assert publish_daily_summary(DAY, "# x\n", plain) is None
    assert sandbox.requests == []


def _current_report(settings: Settings) -> dict[str, Any]:
    snapshots = rollup.record_sprint_snapshots(SAMPLE_TODAY, settings)
    return rollup.compute_sprint_report(snapshots["current_id"], SAMPLE_TODAY, settings)


def test_sprint_report_page_is_updated_in_place(sandbox: Sandbox, settings: Settings) -> None:
    report = _current_report(settings)
    title = f"Sprint report — {report['sprint']['name']}"
    first = publish_sprint_report(report, settings)
    assert first is not None and first["action"] == "created"
    outline = sandbox.content.outline(first["page_id"])
    texts = [entry["text"] for entry in outline]
    m = report["metrics"]
    assert texts[1] == "Where the sprint stands"
    assert texts[2].startswith(f"Completion: {m['completion_pct']:g}% — ")
    assert any(text.startswith("Canceled: ") for text in texts)
    assert f"Needs attention ({len(report['at_risk'])})" in texts
    table = outline[-1]
    assert table["type"] == "table"
    assert table["children"][0]["text"] == ["Status", "Tickets", "Points"]
    assert len(table["children"]) == len(report["by_status"]) + 1

    changed = {**report, "at_risk": [], "metrics": {**m, "blocked_count": m["blocked_count"] + 1}}
    second = publish_sprint_report(changed, settings)
    assert second is not None and second["action"] == "updated"
    assert second["page_id"] == first["page_id"]
    assert [page.id for page in _pages_titled(sandbox, title)] == [first["page_id"]]
    assert "Nothing blocked or aging." in [
        entry["text"] for entry in sandbox.content.outline(first["page_id"])
    ]


def test_a_renamed_sprint_keeps_its_report_page(sandbox: Sandbox, settings: Settings) -> None:
    report = _current_report(settings)
    first = publish_sprint_report(report, settings)
    renamed = {**report, "sprint": {**report["sprint"], "name": "Sprint Renamed"}}
    second = publish_sprint_report(renamed, settings)
    assert first is not None and second is not None
    assert second["page_id"] == first["page_id"]
    titles = [
        "".join(item["text"]["content"] for item in page.title)
        for page in sandbox.content.child_pages(sandbox.reports_page_id)
    ]
    assert titles == ["Sprint report — Sprint Renamed"]
