"""Writes: property values in Notion's write format (page create / update bodies) parsed into
the workspace's value forms (`sandbox.records`)."""

from __future__ import annotations

import json
from typing import Any

from sandbox.protocol import (
    TEXT_CONTENT_LIMIT,
    _invalid,
)
from sandbox.records import (
    READ_ONLY_TYPES,
    DateValue,
    Link,
    PropertySchema,
    UserMention,
    normalize_id,
)


def _parse_write_value(schema: PropertySchema, raw: Any) -> Any:
    """A property value in Notion's write format → the workspace's simple value form."""
    kind, name = schema.type, schema.name
    if kind in READ_ONLY_TYPES:
        raise _invalid(f"{name} is a {kind} property and cannot be updated.")
    if not isinstance(raw, dict) or kind not in raw:
        raise _invalid(f"{name} is expected to be {kind}.")
    value = raw[kind]
    where = f"body.properties.{name}.{kind}"
    if kind in ("title", "rich_text"):
        return _parse_rich_text(value, where)
    if kind == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _invalid(
                f"body failed validation: {where} should be a number or `null`, instead was `{json.dumps(value)}`."
            )
        return value
    if kind in ("select", "status"):
        if value is None:
            return None
        return _option_reference(schema, value, where)
    if kind == "multi_select":
        items = _list_of_objects(value, where)
        return tuple(
            _option_reference(schema, item, f"{where}[{i}]") for i, item in enumerate(items)
        )
    if kind in ("people", "relation"):
        items = _list_of_objects(value, where)
        ids = []
        for i, item in enumerate(items):
            if not isinstance(item.get("id"), str):
                raise _invalid(f"body failed validation: {where}[{i}].id should be defined.")
            ids.append(normalize_id(item["id"]) or item["id"])
        return tuple(ids)
    if kind == "date":
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("start"), str):
            raise _invalid(f"body failed validation: {where}.start should be defined.")
        return DateValue(value["start"], value.get("end"), value.get("time_zone"))
    raise _invalid(f"{name}: writing {kind} properties is not supported by the sandbox.")


def _list_of_objects(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _invalid(f"body failed validation: {where} should be an array of objects.")
    return value


def _option_reference(schema: PropertySchema, value: Any, where: str) -> str:
    if not isinstance(value, dict):
        raise _invalid(f"body failed validation: {where} should be an object.")
    if isinstance(value.get("name"), str):
        return value["name"]
    if isinstance(value.get("id"), str):
        for option in schema.options:
            if option.id == value["id"]:
                return option.name
        raise _invalid(f"{schema.name}: option with id {value['id']} does not exist.")
    raise _invalid(f"body failed validation: {where}.name should be defined.")


def _parse_rich_text(value: Any, where: str) -> tuple[str | UserMention | Link, ...]:
    items = _list_of_objects(value, where)
    segments: list[str | UserMention | Link] = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if isinstance(item.get("text"), dict):
            content = item["text"].get("content")
            if not isinstance(content, str):
                raise _invalid(f"body failed validation: {here}.text.content should be a string.")
            if len(content) > TEXT_CONTENT_LIMIT:
                raise _invalid(
                    f"body failed validation: {here}.text.content.length should be ≤ "
                    f"`{TEXT_CONTENT_LIMIT}`, instead was `{len(content)}`."
                )
            link = item["text"].get("link")
            url = link.get("url") if isinstance(link, dict) else None
            segments.append(Link(content, url) if isinstance(url, str) else content)
        elif isinstance(item.get("mention"), dict) and isinstance(
            item["mention"].get("user"), dict
        ):
            user_id = item["mention"]["user"].get("id")
            if not isinstance(user_id, str):
                raise _invalid(f"body failed validation: {here}.mention.user.id should be defined.")
            segments.append(UserMention(normalize_id(user_id) or user_id))
        else:
            raise _invalid(
                f"body failed validation: {here} should be a text object or a user mention "
                "(the sandbox supports no other rich text)."
            )
    return tuple(segments)
