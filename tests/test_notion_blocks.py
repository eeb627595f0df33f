"""Markdown → Notion blocks and request batches: pure functions, checked against Notion's limits."""

from __future__ import annotations

import json

from tasks.notion.blocks import markdown_blocks, page_url, rich_text, table
from tasks.notion.publish import batches

TICKET_ID = "1f0e2d3c-4b5a-4968-8776-655443322110"
TICKETS = {"ENG-12": TICKET_ID}


def _contents(items: list[dict]) -> list[str]:
    return [item["text"]["content"] for item in items]


def test_headings_bullets_numbered_quotes_dividers_and_paragraphs() -> None:
    blocks = markdown_blocks(
        "# Title\n\nFirst line\nsecond line\n\n## Section\n- one\n* two\n1. first\n> said\n---\n"
        "### Deep\n#### Deeper\n",
        skip_title="Title",
    )
    assert [b["type"] for b in blocks] == [
        "paragraph",
        "heading_2",
        "bulleted_list_item",
        "bulleted_list_item",
        "numbered_list_item",
        "quote",
        "divider",
        "heading_3",
        "heading_3",
    ]
    assert _contents(blocks[0]["paragraph"]["rich_text"]) == ["First line\nsecond line"]


def test_only_the_first_heading_equal_to_the_title_is_dropped() -> None:
    blocks = markdown_blocks("# Other\n# Title\n", skip_title="Title")
    assert [b["heading_1"]["rich_text"][0]["text"]["content"] for b in blocks] == [
        "Other",
        "Title",
    ]


def test_inline_bold_italic_and_code_become_annotations() -> None:
    items = rich_text("a **b** _c_ *d* `e` f")
    assert [(i["text"]["content"], i.get("annotations")) for i in items] == [
        ("a ", None),
        ("b", {"bold": True}),
        (" ", None),
        ("c", {"italic": True}),
        (" ", None),
        ("d", {"italic": True}),
        (" ", None),
        ("e", {"code": True}),
        (" f", None),
    ]


def test_known_keys_link_to_their_page_and_look_alikes_stay_text() -> None:
    items = rich_text("ENG-12, XENG-12, ENG-12a, ENG-120, eng-12, ENG-12_x, (ENG-12)", TICKETS)
    linked = [i["text"]["content"] for i in items if "link" in i["text"]]
    assert linked == ["ENG-12", "ENG-12"]
    assert all(
        i["text"]["link"] == {"url": page_url(TICKET_ID)} for i in items if "link" in i["text"]
    )
    assert "".join(_contents(items)) == (
        "ENG-12, XENG-12, ENG-12a, ENG-120, eng-12, ENG-12_x, (ENG-12)"
    )


def test_markdown_links_keep_their_text_but_never_their_url() -> None:
    items = rich_text(
        "see [the docs](https://evil.example/x) and [ENG-12](https://evil.example)", TICKETS
    )
    assert "evil" not in json.dumps(items)
    assert "".join(_contents(items)) == "see the docs and ENG-12"
    assert items[-1]["text"]["link"] == {"url": page_url(TICKET_ID)}


def test_long_text_is_cut_at_2000_characters_and_past_100_items_into_more_blocks() -> None:
    [single] = markdown_blocks("x" * 4001)
    assert [len(c) for c in _contents(single["paragraph"]["rich_text"])] == [2000, 2000, 1]
    many = markdown_blocks("- " + " ".join(f"**b{n}**" for n in range(120)))  # 239 items
    assert [len(b["bulleted_list_item"]["rich_text"]) for b in many] == [100, 100, 39]


def test_batches_hold_at_most_100_blocks_and_1000_elements() -> None:
    paragraphs = markdown_blocks("\n\n".join(f"p{n}" for n in range(250)))
    assert [len(batch) for batch in batches(paragraphs)] == [100, 100, 50]
    big_table = table([["a", "b"]] * 99)  # 1 table + 99 rows = 100 elements
    tables = [big_table] * 25
    sizes = [len(batch) for batch in batches(tables)]
    assert sizes == [10, 10, 5]
    assert [b for batch in batches(tables) for b in batch] == tables


def test_batches_stay_under_the_payload_size_limit() -> None:
    heavy = markdown_blocks("\n\n".join("y" * 1999 for _ in range(300)))
    for batch in batches(heavy):
        assert len(json.dumps(batch).encode()) < 500_000
