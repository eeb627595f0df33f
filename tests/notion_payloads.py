"""Notion API JSON (Notion-Version 2025-09-03) for parser and mapping tests.

Shapes follow Notion's API reference ("Page properties", "Rich text", "User", "Data source")
and the response types of the official SDK (makenotion/notion-sdk-js, `PageObjectResponse`,
`DataSourceObjectResponse`). Builders return fresh dicts so a test may mutate what it gets.
"""

from __future__ import annotations

from typing import Any

TICKETS_DS = "248104cd-477e-80af-bc30-000bd1b9e7f2"
SPRINTS_DS = "248104cd-477e-80fd-b757-000b5ad0b6c4"
PROJECTS_DS = "248104cd-477e-8031-a5c4-000b0a9e6a11"

SPRINT_23 = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
SPRINT_24 = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60"

ADA_ID = "d40e767c-d7af-4b18-a86d-55c61f1e39a4"
GRACE_ID = "9a3b5ae0-c6e6-482d-b0e1-ed315ee6dc57"
BOT_ID = "3e0f0b1d-2d1c-4c49-9c4a-1f0e0c0b0a09"

ADA = {
    "object": "user",
    "id": ADA_ID,
    "name": "Ada Lovelace",
    "avatar_url": "https://s3-us-west-2.amazonaws.com/public.notion-static.com/ada.png",
    "type": "person",
    "person": {"email": "ada@example.com"},
}
GRACE = {
    "object": "user",
    "id": GRACE_ID,
    "name": "Grace Hopper",
    "avatar_url": None,
    "type": "person",
    "person": {},
}
BOT = {
    "object": "user",
    "id": BOT_ID,
    "name": "Conductor",
    "avatar_url": None,
    "type": "bot",
    "bot": {},
}


def partial_user(user_id: str) -> dict[str, Any]:
    """How a page's top-level `created_by`/`last_edited_by` look: id only."""
    return {"object": "user", "id": user_id}


_ANNOTATIONS = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}


def text_item(content: str, link: str | None = None) -> dict[str, Any]:
    return {
        "type": "text",
        "text": {"content": content, "link": None if link is None else {"url": link}},
        "annotations": dict(_ANNOTATIONS),
        "plain_text": content,
        "href": link,
    }


def user_mention(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "mention",
        "mention": {"type": "user", "user": dict(user)},
        "annotations": dict(_ANNOTATIONS),
        "plain_text": f"@{user.get('name') or 'Anonymous'}",
        "href": None,
    }


def date_mention(start: str) -> dict[str, Any]:
    return {
        "type": "mention",
        "mention": {"type": "date", "date": {"start": start, "end": None, "time_zone": None}},
        "annotations": dict(_ANNOTATIONS),
        "plain_text": start,
        "href": None,
    }


def equation_item(expression: str) -> dict[str, Any]:
    return {
        "type": "equation",
        "equation": {"expression": expression},
        "annotations": dict(_ANNOTATIONS),
        "plain_text": expression,
        "href": None,
    }


# --- page property values ---------------------------------------------------------------------


def title(text: str = "Fix login redirect loop", *items: dict[str, Any]) -> dict[str, Any]:
    return {"id": "title", "type": "title", "title": list(items) or [text_item(text)]}


def rich_text(*items: dict[str, Any]) -> dict[str, Any]:
    return {"id": "%3EdLk", "type": "rich_text", "rich_text": list(items)}


def number(value: Any) -> dict[str, Any]:
    return {"id": "WxYz", "type": "number", "number": value}


def select(name: str | None, option_id: str = "c4d5e6f7", color: str = "red") -> dict[str, Any]:
    value = None if name is None else {"id": option_id, "name": name, "color": color}
    return {"id": "Prio", "type": "select", "select": value}


def multi_select(*names: str) -> dict[str, Any]:
    return {
        "id": "flsb",
        "type": "multi_select",
        "multi_select": [
            {"id": f"opt-{i}", "name": name, "color": "blue"} for i, name in enumerate(names)
        ],
    }


def status(name: str | None, option_id: str = "in-progress-id") -> dict[str, Any]:
    value = None if name is None else {"id": option_id, "name": name, "color": "blue"}
    return {"id": "Z%3ClH", "type": "status", "status": value}


def date(start: str | None, end: str | None = None, time_zone: str | None = None) -> dict[str, Any]:
    value = None if start is None else {"start": start, "end": end, "time_zone": time_zone}
    return {"id": "M%3BBw", "type": "date", "date": value}


def people(*users: dict[str, Any], has_more: bool | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {"id": "notion%3A", "type": "people", "people": [dict(u) for u in users]}
    if has_more is not None:
        prop["has_more"] = has_more
    return prop


def relation(*page_ids: str, has_more: bool = False) -> dict[str, Any]:
    return {
        "id": "b%7D%3Ek",
        "type": "relation",
        "relation": [{"id": page_id} for page_id in page_ids],
        "has_more": has_more,
    }


def checkbox(value: Any) -> dict[str, Any]:
    return {"id": "ZI%40W", "type": "checkbox", "checkbox": value}


def url(value: Any) -> dict[str, Any]:
    return {"id": "h_op", "type": "url", "url": value}


def email(value: Any) -> dict[str, Any]:
    return {"id": "y%5C%5E_", "type": "email", "email": value}


def phone_number(value: Any) -> dict[str, Any]:
    return {"id": "%5DKhQ", "type": "phone_number", "phone_number": value}


def formula(result_type: str, value: Any) -> dict[str, Any]:
    return {"id": "yaUc", "type": "formula", "formula": {"type": result_type, result_type: value}}


def rollup(result_type: str, value: Any, function: str = "sum") -> dict[str, Any]:
    return {
        "id": "aBcD",
        "type": "rollup",
        "rollup": {"type": result_type, result_type: value, "function": function},
    }


def unique_id(number_value: Any, prefix: str | None = "ENG") -> dict[str, Any]:
    return {
        "id": "hqDS",
        "type": "unique_id",
        "unique_id": {"prefix": prefix, "number": number_value},
    }


def created_time(value: Any = "2026-03-02T09:15:00.000Z") -> dict[str, Any]:
    return {"id": "eB_%7D", "type": "created_time", "created_time": value}


def last_edited_time(value: Any = "2026-03-04T16:41:00.000Z") -> dict[str, Any]:
    return {"id": "JkAr", "type": "last_edited_time", "last_edited_time": value}


def created_by(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": "%5BJCR", "type": "created_by", "created_by": dict(user)}


def last_edited_by(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": "ZqqR", "type": "last_edited_by", "last_edited_by": dict(user)}


def files(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"id": "Q%7Dn%5C", "type": "files", "files": list(entries)}


def uploaded_file(name: str, file_url: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "file",
        "file": {"url": file_url, "expiry_time": "2026-03-04T17:41:00.000Z"},
    }


def external_file(name: str, file_url: str) -> dict[str, Any]:
    return {"name": name, "type": "external", "external": {"url": file_url}}


# --- data source schemas (GET /v1/data_sources/{id} → properties) -----------------------------

STATUS_OPTIONS = [
    ("backlog-id", "Backlog"),
    ("not-started-id", "Not started"),
    ("in-progress-id", "In progress"),
    ("in-review-id", "In review"),
    ("blocked-id", "Blocked"),
    ("done-id", "Done"),
    ("wont-do-id", "Won't do"),
]


def status_schema(name: str = "Status") -> dict[str, Any]:
    return {
        "id": "Z%3ClH",
        "name": name,
        "description": None,
        "type": "status",
        "status": {
            "options": [
                {"id": oid, "name": oname, "color": "default", "description": None}
                for oid, oname in STATUS_OPTIONS
            ],
            "groups": [
                {
                    "id": "g-todo",
                    "name": "To-do",
                    "color": "gray",
                    "option_ids": ["backlog-id", "not-started-id"],
                },
                {
                    "id": "g-progress",
                    "name": "In progress",
                    "color": "blue",
                    "option_ids": ["in-progress-id", "in-review-id", "blocked-id"],
                },
                {
                    "id": "g-done",
                    "name": "Complete",
                    "color": "green",
                    "option_ids": ["done-id", "wont-do-id"],
                },
            ],
        },
    }


def schema_property(name: str, kind: str, config: Any = None, prop_id: str = "") -> dict[str, Any]:
    return {
        "id": prop_id or name[:4],
        "name": name,
        "description": None,
        "type": kind,
        kind: {} if config is None else config,
    }


def relation_schema(name: str, data_source_id: str) -> dict[str, Any]:
    return schema_property(
        name,
        "relation",
        {
            "database_id": "248104cd-477e-80b9-9a1b-c9b1e0f7a000",
            "data_source_id": data_source_id,
            "type": "dual_property",
            "dual_property": {"synced_property_id": "a%3Ab", "synced_property_name": "Tasks"},
        },
    )


def tickets_schema() -> dict[str, Any]:
    """A realistic Tickets data source, close to Notion's 'Projects & tasks' template."""
    props = [
        schema_property("Task name", "title", prop_id="title"),
        status_schema(),
        schema_property("Assignee", "people"),
        relation_schema("Project", PROJECTS_DS),
        relation_schema("Sprint", SPRINTS_DS),
        schema_property("Points", "number", {"format": "number"}),
        schema_property(
            "Priority",
            "select",
            {"options": [{"id": "p0", "name": "P0", "color": "red", "description": None}]},
        ),
        schema_property("Tags", "multi_select", {"options": []}),
        schema_property("Due", "date"),
        schema_property("ID", "unique_id", {"prefix": "ENG"}),
        schema_property("Description", "rich_text"),
        schema_property("Created by", "created_by"),
        schema_property("Last edited time", "last_edited_time"),
        schema_property("Attachments", "files"),
        schema_property("Reviewed", "checkbox"),
    ]
    return {prop["name"]: prop for prop in props}


def sprints_schema() -> dict[str, Any]:
    props = [
        schema_property("Sprint name", "title", prop_id="title"),
        schema_property("Dates", "date"),
        schema_property(
            "Sprint status",
            "status",
            {
                "options": [
                    {"id": "s-future", "name": "Future", "color": "gray", "description": None},
                    {"id": "s-current", "name": "Current", "color": "blue", "description": None},
                    {"id": "s-past", "name": "Past", "color": "green", "description": None},
                ],
                "groups": [],
            },
        ),
        relation_schema("Tasks", TICKETS_DS),
    ]
    return {prop["name"]: prop for prop in props}


# --- pages -------------------------------------------------------------------------------------

TICKET_PAGE_ID = "59833787-2cf9-4fdf-8782-e53db20768a5"
SPRINT_PAGE_ID = SPRINT_23


def ticket_properties() -> dict[str, Any]:
    return {
        "Task name": title("Fix login redirect loop"),
        "Status": status("In progress", "in-progress-id"),
        "Assignee": people(ADA, GRACE),
        "Project": relation("7e5c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"),
        "Sprint": relation(SPRINT_23),
        "Points": number(3),
        "Priority": select("P0", "p0"),
        "Tags": multi_select("backend", "auth"),
        "Due": date("2026-03-13"),
        "ID": unique_id(42),
        "Description": rich_text(
            text_item("Users bounce between "), text_item("/login", "https://example.com/login")
        ),
        "Created by": created_by(ADA),
        "Last edited time": last_edited_time(),
        "Attachments": files(),
        "Reviewed": checkbox(False),
    }


def ticket_page(properties: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A page of the Tickets data source as `POST /v1/data_sources/{id}/query` returns it."""
    page: dict[str, Any] = {
        "object": "page",
        "id": TICKET_PAGE_ID,
        "created_time": "2026-03-02T09:15:00.000Z",
        "last_edited_time": "2026-03-04T16:41:00.000Z",
        "created_by": partial_user(ADA_ID),
        "last_edited_by": partial_user(GRACE_ID),
        "cover": None,
        "icon": {"type": "emoji", "emoji": "🐞"},
        "parent": {
            "type": "data_source_id",
            "data_source_id": TICKETS_DS,
            "database_id": "248104cd-477e-80b9-9a1b-c9b1e0f7a000",
        },
        "in_trash": False,
        "archived": False,
        "is_locked": False,
        "properties": ticket_properties() if properties is None else properties,
        "url": "https://www.notion.so/Fix-login-redirect-loop-598337872cf94fdf8782e53db20768a5",
        "public_url": None,
    }
    page.update(fields)
    return page


def sprint_page(properties: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    page = ticket_page(
        properties
        if properties is not None
        else {
            "Sprint name": title("Sprint 23"),
            "Dates": date("2026-03-02", "2026-03-13"),
            "Sprint status": status("Current", "s-current"),
            "Tasks": relation(TICKET_PAGE_ID),
        },
        id=SPRINT_PAGE_ID,
        url="https://www.notion.so/Sprint-23-1c2d3e4f5a6b4c7d8e9f0a1b2c3d4e5f",
    )
    page["parent"]["data_source_id"] = SPRINTS_DS
    page.update(fields)
    return page
