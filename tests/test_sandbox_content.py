"""The sandbox's pages under pages and their blocks, driven through the real `notion_client`:
the shapes, the pagination and the size limits Conductor's report publishing relies on."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from notion_client import APIResponseError, Client
from notion_client.helpers import collect_paginated_api

from sandbox.server import Sandbox
from tests.sandboxes import serving


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with serving(20) as server:
        yield server


@pytest.fixture
def notion(sandbox: Sandbox) -> Iterator[Client]:
    client = Client(auth=sandbox.token, base_url=sandbox.base_url)
    yield client
    client.close()


def _paragraph(text: str) -> dict:
    return {"type": "paragraph", "paragraph": {"rich_text": [{"text": {"content": text}}]}}


def _new_page(notion: Client, sandbox: Sandbox, title: str, children: list | None = None) -> dict:
    return notion.pages.create(
        parent={"page_id": sandbox.reports_page_id},
        properties={"title": {"title": [{"text": {"content": title}}]}},
        children=children or [],
    )


def _validation_message(call: Callable[[], object]) -> str:
    with pytest.raises(APIResponseError) as caught:
        call()
    assert caught.value.status == 400
    assert caught.value.code == "validation_error"
    return str(caught.value)


def test_child_page_has_a_page_parent_and_is_listed_as_a_child_page_block(
    sandbox: Sandbox, notion: Client
) -> None:
    page = _new_page(notion, sandbox, "Child one", [_paragraph("hello")])
    assert page["parent"] == {"type": "page_id", "page_id": sandbox.reports_page_id}
    assert page["properties"]["title"]["title"][0]["plain_text"] == "Child one"
    listed = collect_paginated_api(notion.blocks.children.list, block_id=sandbox.reports_page_id)
    entry = next(block for block in listed if block["id"] == page["id"])
    assert entry["type"] == "child_page"
    assert entry["child_page"] == {"title": "Child one"}
    body = notion.blocks.children.list(block_id=page["id"])
    assert [b["paragraph"]["rich_text"][0]["plain_text"] for b in body["results"]] == ["hello"]
    assert body["results"][0]["parent"] == {"type": "page_id", "page_id": page["id"]}


def test_children_are_paginated_in_append_order(sandbox: Sandbox, notion: Client) -> None:
    page = _new_page(notion, sandbox, "Long")
    for start in (0, 100):
        notion.blocks.children.append(
            block_id=page["id"], children=[_paragraph(str(n)) for n in range(start, start + 100)]
        )
    first = notion.blocks.children.list(block_id=page["id"], page_size=100)
    assert first["has_more"] is True and len(first["results"]) == 100
    every = collect_paginated_api(notion.blocks.children.list, block_id=page["id"])
    texts = [b["paragraph"]["rich_text"][0]["plain_text"] for b in every]
    assert texts == [str(n) for n in range(200)]


def test_deleted_blocks_leave_the_list(sandbox: Sandbox, notion: Client) -> None:
    page = _new_page(notion, sandbox, "Deletions", [_paragraph("a"), _paragraph("b")])
    first = notion.blocks.children.list(block_id=page["id"])["results"][0]
    deleted = notion.blocks.delete(block_id=first["id"])
    assert deleted["in_trash"] is True
    rest = notion.blocks.children.list(block_id=page["id"])["results"]
    assert [b["paragraph"]["rich_text"][0]["plain_text"] for b in rest] == ["b"]


def test_size_limits_answer_notions_validation_errors(sandbox: Sandbox, notion: Client) -> None:
    page = _new_page(notion, sandbox, "Limits")
    message = _validation_message(
        lambda: notion.blocks.children.append(
            block_id=page["id"], children=[_paragraph("x" * 2001)]
        )
    )
    assert "body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`" in (
        message
    )
    message = _validation_message(
        lambda: notion.blocks.children.append(block_id=page["id"], children=[_paragraph("x")] * 101)
    )
    assert "body.children.length should be ≤ `100`, instead was `101`" in message
    many_items = {
        "type": "paragraph",
        "paragraph": {"rich_text": [{"text": {"content": "x"}}] * 101},
    }
    message = _validation_message(
        lambda: notion.blocks.children.append(block_id=page["id"], children=[many_items])
    )
    assert "rich_text.length should be ≤ `100`" in message
    assert notion.blocks.children.list(block_id=page["id"])["results"] == []


def test_trashed_page_is_retrievable_but_not_listed_or_editable(
    sandbox: Sandbox, notion: Client
) -> None:
    page = _new_page(notion, sandbox, "Doomed", [_paragraph("still here")])
    notion.pages.update(page_id=page["id"], in_trash=True)
    assert len(notion.blocks.children.list(block_id=page["id"])["results"]) == 1
    assert notion.pages.retrieve(page_id=page["id"])["in_trash"] is True
    listed = collect_paginated_api(notion.blocks.children.list, block_id=sandbox.reports_page_id)
    assert page["id"] not in [block["id"] for block in listed]
    message = _validation_message(
        lambda: notion.blocks.children.append(block_id=page["id"], children=[_paragraph("x")])
    )
    assert "archived" in message


def test_page_mentions_read_the_mentioned_page_title(sandbox: Sandbox, notion: Client) -> None:
    ticket = sandbox.workspace.tickets()[0]
    mention = {"type": "mention", "mention": {"type": "page", "page": {"id": ticket.id}}}
    page = _new_page(notion, sandbox, "Mentions", [{"paragraph": {"rich_text": [mention]}}])
    block = notion.blocks.children.list(block_id=page["id"])["results"][0]
    item = block["paragraph"]["rich_text"][0]
    assert item["mention"] == {"type": "page", "page": {"id": ticket.id}}
    assert item["plain_text"] == sandbox.workspace.title(ticket)


def test_unknown_block_parent_is_404(sandbox: Sandbox, notion: Client) -> None:
    with pytest.raises(APIResponseError) as caught:
        notion.blocks.children.list(block_id="00000000-0000-4000-8000-000000000000")
    assert caught.value.status == 404
