"""Notion text and model output in Markdown: the summary file and the Prefect artifacts show
them as text and never as links or HTML (issue 15, item 8); and a sprint name far longer than
a file name may be still gets its chart and report files.

The Prefect UI renders artifacts (Markdown, string table cells, descriptions) with `marked`
in GitHub-flavoured mode with raw HTML allowed, so "no link" means: rendered as CommonMark with
HTML on, no `href`/`src` points at the hostile host and no raw tag survives; and none of GFM's
bracket-less autolink triggers (`scheme://`, `www.`, `x@host`) is left unescaped.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from sqlmodel import Session

from flows.daily_summary import daily_summary
from flows.sprint_rollup import sprint_rollup
from models import Sprint, Ticket
from models.db import get_engine
from models.settings import get_settings
from tasks.templating import escape_markdown, neutralise_markdown
from tests.factories import sprint_row, ticket_row
from tests.llm_stub import chat_response, mocked_llm
from tests.prefect_helpers import read_artifacts
from tests.test_daily_summary import DAY, llm_env, seed_team_day  # noqa: F401  (fixture)

HOSTILE = (
    "[Reset your password](https://evil.example.com/login) "
    '<a href="https://evil.example.com/a">here</a> <img src="https://evil.example.com/p.png"> '
    "![x](https://evil.example.com/i.png) www.evil.example.com ops@evil.example.com "
    "<https://evil.example.com/auto> | **not bold** # not a heading"
)
_AUTOLINK = re.compile(r"(?i)[a-z]://evil|(?<!\\)\bwww\.evil|(?<!\\)@evil")


class _Targets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.targets += [value or "" for name, value in attrs if name in ("href", "src")]


def assert_no_hostile_link(markdown: str) -> None:
    parser = _Targets()
    parser.feed(MarkdownIt("commonmark", {"html": True}).render(markdown))
    assert not [t for t in parser.targets if "evil" in t], parser.targets
    assert not _AUTOLINK.search(markdown), _AUTOLINK.search(markdown)


def test_escaped_notion_text_is_literal_text_in_markdown() -> None:
    escaped = escape_markdown(HOSTILE + "\n# forged heading")
    assert_no_hostile_link(escaped)
    html = MarkdownIt("commonmark", {"html": True}).render(escaped)
    assert "<strong>" not in html and "<h1>" not in html and "\n" not in escaped
    assert "Reset your password" in html


def test_model_markdown_keeps_its_structure_but_loses_links_and_html() -> None:
    model = f"# Today\n\n- **ENG-1** shipped: {HOSTILE}\n- ENG-2 started\n"
    neutral = neutralise_markdown(model)
    assert_no_hostile_link(neutral)
    parser = _Targets()
    parser.feed(MarkdownIt("commonmark", {"html": True}).render(neutral))
    assert {"h1", "ul", "li", "strong"} <= set(parser.tags)
    assert not {"a", "img"} & set(parser.tags)
    assert neutralise_markdown(r"\\[x](https://evil.example.com)").startswith(r"\\\[x\]")


SPRINT_ID = sprint_row(9, date(2026, 11, 16), date(2026, 11, 27))["id"]
LONG_NAME = "Q4 " + HOSTILE + " " + "x" * 300


@pytest.fixture
def hostile_sprint(db_url: str) -> str:
    """The current sprint (today is 2026-11-24) with a 300+ character hostile name, and a
    blocked ticket with a hostile title, so both reach the report and the at-risk table."""
    seen = datetime(2026, 11, 16, 9, tzinfo=UTC)
    with Session(get_engine(db_url)) as session:
        session.add(
            Sprint(
                **sprint_row(9, date(2026, 11, 16), date(2026, 11, 27), name=LONG_NAME),
                first_seen_at=seen,
            )
        )
        session.add(
            Ticket(
                **ticket_row(1, title=HOSTILE, status="Blocked", sprint_id=SPRINT_ID),
                first_seen_at=seen,
            )
        )
        session.commit()
    return db_url


def test_a_300_character_hostile_sprint_name_gets_bounded_files_and_literal_artifacts(
    hostile_sprint: str, prefect_harness: None
) -> None:
    result = sprint_rollup(today=date(2026, 11, 24))

    chart, report = Path(result["chart_path"]), Path(result["report_path"])
    assert chart.read_bytes().startswith(b"\x89PNG") and report.is_file()
    assert (chart.parent / chart.name.replace(".png", ".svg")).is_file()
    for path in (chart, report):
        assert len(path.name) <= 80 and re.fullmatch(r"[a-z0-9-]+\.[a-z]+", path.name)
        assert path.name.startswith("q4-reset-your-password")

    stem = report.stem
    [markdown] = read_artifacts(key=f"sprint-report-{stem}", limit=1)
    [table] = read_artifacts(key=f"sprint-at-risk-{stem}", limit=1)
    assert "Reset your password" in markdown["data"]
    assert_no_hostile_link(markdown["data"])
    for artifact in (markdown, table):
        assert_no_hostile_link(artifact["description"])
    cells = [str(value) for row in _table_rows(table["data"]) for value in row.values()]
    assert any("Reset your password" in cell for cell in cells)
    for cell in cells:
        assert_no_hostile_link(cell)


def test_the_template_summary_file_and_artifact_show_hostile_titles_as_text(
    db_url: str, prefect_harness: None
) -> None:
    with Session(get_engine(db_url)) as session:
        seed_team_day(session, tag=HOSTILE + " ")
    daily_summary(day=DAY)

    text = (get_settings().output_dir / "summaries" / f"{DAY.isoformat()}.md").read_text()
    assert "Reset your password" in text and "## Completed (1)" in text
    assert_no_hostile_link(text)
    [artifact] = read_artifacts(key="daily-summary", limit=1)
    assert artifact["data"] == text


def test_a_model_summary_quoting_hostile_markdown_is_published_without_links(
    llm_env: None,  # noqa: F811
    db_url: str,
    prefect_harness: None,
) -> None:
    with Session(get_engine(db_url)) as session:
        seed_team_day(session, tag="model ")
    with mocked_llm(chat_response(f"## Today\n\n- **ENG-1** shipped: {HOSTILE}\n")):
        result = daily_summary(day=DAY)

    text = (get_settings().output_dir / "summaries" / f"{DAY.isoformat()}.md").read_text()
    assert text.startswith("## Today\n\n- **ENG-1** shipped: \\[Reset your password\\]")
    assert_no_hostile_link(text)
    [artifact] = read_artifacts(key="daily-summary", limit=1)
    assert artifact["data"] == text
    assert result["text"].startswith("## Today")


def _table_rows(data: Any) -> list[dict[str, Any]]:
    """A table artifact's rows (the API returns them JSON-encoded)."""
    return json.loads(data) if isinstance(data, str) else data
