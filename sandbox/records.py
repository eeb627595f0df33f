"""The sandbox's records: users, options, property schemas, pages, data sources, databases.

Records hold plain Python values; the sandbox renders Notion JSON from them per request
(`sandbox.rendering`). That keeps 100k tickets well under 300 MB and makes mutations in tests
one-liners.

Value forms (what `Page.values` holds and what `Workspace.update_page` / `create_page` accept),
by Notion property type:

- `title`, `rich_text`: `str`, or a tuple of segments, each `str | UserMention | Link`
- `number`: `int | float | None`
- `select`, `status`: the option name, or `None`
- `multi_select`: tuple of option names
- `people`: tuple of user ids
- `relation`: tuple of page ids
- `date`: `DateValue(start, end=None, time_zone=None)` holding ISO strings, or `None`
  (writes also accept `date`, `datetime`, an ISO `str` or a `{"start", "end", "time_zone"}` dict)

`unique_id`, `created_by`, `created_time` and `last_edited_time` properties are read-only: they are
derived from the page record. Every timestamp is UTC and truncated to the minute, as Notion
stores them — so a page edited at 09:13:45 reports `09:13:00.000Z`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import unquote

TODO_GROUP, IN_PROGRESS_GROUP, COMPLETE_GROUP = "To-do", "In progress", "Complete"

READ_ONLY_TYPES = frozenset(
    {"unique_id", "created_by", "created_time", "last_edited_time", "last_edited_by"}
)

_COLORS = ("gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")


class UserMention(NamedTuple):
    """A rich-text segment that mentions a user (rendered as Notion's `mention` object)."""

    user_id: str


class Link(NamedTuple):
    """A rich-text segment with a hyperlink (rendered with `text.link` and `href`)."""

    text: str
    url: str


class DateValue(NamedTuple):
    """A Notion date value: ISO strings as Notion returns them (date, or date-time with offset)."""

    start: str
    end: str | None = None
    time_zone: str | None = None


class WorkspaceError(ValueError):
    """A write Notion would refuse; the message names the property and the reason."""


@dataclass(frozen=True, slots=True)
class User:
    """A workspace member (`type="person"`) or an integration (`type="bot"`)."""

    id: str
    name: str
    type: str
    email: str | None = None
    avatar_url: str | None = None


@dataclass(slots=True)
class Option:
    """A select, multi-select or status option."""

    id: str
    name: str
    color: str
    description: str | None = None


@dataclass(slots=True)
class StatusGroup:
    """A status group (To-do / In progress / Complete) and the options it holds, by name."""

    id: str
    name: str
    color: str
    option_names: tuple[str, ...]


@dataclass(slots=True)
class PropertySchema:
    """One property of a data source. `id` is Notion's short URL-encoded id (`"title"` for titles)."""

    name: str
    id: str
    type: str
    options: list[Option] = field(default_factory=list)
    groups: list[StatusGroup] = field(default_factory=list)
    relation_data_source_id: str | None = None
    relation_database_id: str | None = None
    prefix: str | None = None
    number_format: str = "number"
    description: str | None = None

    def option(self, name: str) -> Option | None:
        """The option called `name`; Notion matches option names exactly."""
        for option in self.options:
            if option.name == name:
                return option
        return None


@dataclass(slots=True)
class Page:
    """A row of a data source. `values` holds only the writable properties (see module doc)."""

    id: str
    data_source_id: str
    created_time: datetime
    last_edited_time: datetime
    created_by: str
    last_edited_by: str
    values: dict[str, Any]
    unique_number: int | None = None
    in_trash: bool = False


@dataclass(slots=True)
class DataSource:
    """A table under a database (Notion-Version 2025-09-03): the schema and the pages."""

    id: str
    database_id: str
    title: str
    properties: dict[str, PropertySchema]
    created_time: datetime
    last_edited_time: datetime
    created_by: str
    pages: list[Page] = field(default_factory=list, repr=False)

    def find_property(self, key: str) -> PropertySchema | None:
        """A property by name or by id (URL-encoded or not), as Notion's API accepts either."""
        if key in self.properties:
            return self.properties[key]
        wanted = unquote(key)
        for schema in self.properties.values():
            if schema.id == key or unquote(schema.id) == wanted:
                return schema
        return None

    @property
    def title_property(self) -> PropertySchema:
        """The one title property every data source has."""
        return next(p for p in self.properties.values() if p.type == "title")


@dataclass(slots=True)
class Database:
    """A database: a container of data sources (one, unless `Workspace.add_data_source` added more)."""

    id: str
    title: str
    description: str
    parent_page_id: str
    data_source_ids: list[str]
    created_time: datetime
    last_edited_time: datetime
    created_by: str


def minute(moment: datetime) -> datetime:
    """`moment` in UTC truncated to the minute: the precision Notion keeps for page timestamps."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def normalize_id(raw: str) -> str | None:
    """Canonical dashed lowercase UUID for `raw` (dashed or not), or None if it is not a UUID.

    Notion accepts ids with or without dashes; everything here is keyed by the dashed form.
    """
    text = raw.strip().replace("-", "")
    if len(text) != 32:
        return None
    try:
        return str(uuid.UUID(hex=text))
    except ValueError:
        return None


def plain_text(value: Any, user_name: Callable[[str], str] | None = None) -> str:
    """The plain text of a title/rich-text value, as Notion concatenates `plain_text`.

    A mention reads `@Name`, which needs `user_name` (the name lives on the user, not in the
    value); without it mentions contribute nothing.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    parts = []
    for segment in value:
        if isinstance(segment, str):
            parts.append(segment)
        elif isinstance(segment, Link):
            parts.append(segment.text)
        elif user_name is not None:
            parts.append("@" + user_name(segment.user_id))
    return "".join(parts)


def _new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
