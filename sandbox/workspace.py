"""The in-memory workspace: every record of one Notion workspace, with its clock and its writes.

`Workspace.update_page` / `create_page` / `trash_page` take the value forms described in
`sandbox.records` and refuse (with `WorkspaceError`) what Notion would refuse.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox.records import (
    _COLORS,
    READ_ONLY_TYPES,
    Database,
    DataSource,
    DateValue,
    Link,
    Option,
    Page,
    PropertySchema,
    User,
    UserMention,
    WorkspaceError,
    _new_id,
    minute,
    normalize_id,
    plain_text,
)


class Workspace:
    """The whole sample workspace, mutable through `update_page` / `create_page` / `trash_page`.

    Every mutation bumps `version` (the sandbox keys its query caches on it) and stamps
    `last_edited_time` with `now()` truncated to the minute. `now()` follows the wall clock shifted
    so that its date is `today` at construction; tests replace it with `set_clock` or move it with
    `advance_clock`. Mutations and the sandbox's reads hold `lock`.
    """

    def __init__(
        self,
        *,
        today: date,
        name: str,
        users: list[User],
        databases: dict[str, Database],
        data_sources: dict[str, DataSource],
        pages: dict[str, Page],
        tickets_database_id: str,
        sprints_database_id: str,
        root_page_id: str,
        seed: int,
    ) -> None:
        self.today = today
        self.name = name
        self.users = users
        self.databases = databases
        self.data_sources = data_sources
        self.pages = pages
        self.tickets_database_id = tickets_database_id
        self.sprints_database_id = sprints_database_id
        self.root_page_id = root_page_id
        self.lock = threading.RLock()
        self.version = 0
        self._users_by_id = {user.id: user for user in users}
        self._rng = random.Random(f"{seed}:mutations")
        self._clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._clock_offset = timedelta(days=(today - datetime.now(UTC).date()).days)

    # --- lookups -------------------------------------------------------------------------

    @property
    def bot(self) -> User:
        """The integration's own bot user (what `GET /v1/users/me` answers)."""
        return next(user for user in self.users if user.type == "bot")

    @property
    def people(self) -> list[User]:
        """Workspace members, without bots."""
        return [user for user in self.users if user.type == "person"]

    @property
    def tickets_database(self) -> Database:
        return self.databases[self.tickets_database_id]

    @property
    def sprints_database(self) -> Database:
        return self.databases[self.sprints_database_id]

    @property
    def tickets_data_source(self) -> DataSource:
        return self.data_sources[self.tickets_database.data_source_ids[0]]

    @property
    def sprints_data_source(self) -> DataSource:
        return self.data_sources[self.sprints_database.data_source_ids[0]]

    @property
    def tickets_data_source_id(self) -> str:
        return self.tickets_data_source.id

    @property
    def sprints_data_source_id(self) -> str:
        return self.sprints_data_source.id

    @property
    def tickets_data_sources(self) -> list[DataSource]:
        """Every data source of the Tickets database (one, unless a test added another)."""
        return [self.data_sources[i] for i in self.tickets_database.data_source_ids]

    def user(self, user_id: str) -> User | None:
        """The user with this id (dashed or not), or None."""
        return self._users_by_id.get(normalize_id(user_id) or "")

    def page(self, page_id: str) -> Page | None:
        """The page with this id (dashed or not), trashed or not, or None."""
        return self.pages.get(normalize_id(page_id) or "")

    def tickets(self, *, include_trashed: bool = False, all_sources: bool = False) -> list[Page]:
        """Ticket pages in creation order; trashed ones only when asked (queries never show them).

        Only the first data source's, unless `all_sources` (a database may hold several).
        """
        sources = self.tickets_data_sources if all_sources else [self.tickets_data_source]
        return [p for source in sources for p in source.pages if include_trashed or not p.in_trash]

    def sprints(self) -> list[Page]:
        """Sprint pages in date order: the closed ones, then the current, then the next."""
        return sorted(self.sprints_data_source.pages, key=lambda p: p.values["Dates"].start)

    def current_sprint(self) -> Page:
        """The sprint whose dates contain `today`."""
        day = self.today.isoformat()
        return next(
            p
            for p in self.sprints()
            if p.values["Dates"].start <= day <= (p.values["Dates"].end or "")
        )

    def title(self, page: Page) -> str:
        """The page's title as plain text, exactly as the API's `plain_text` parts join up."""
        data_source = self.data_sources[page.data_source_id]
        return plain_text(page.values.get(data_source.title_property.name), self.user_name)

    def user_name(self, user_id: str) -> str:
        """A user's display name; unknown users read "Anonymous", as in Notion mentions."""
        user = self.user(user_id)
        return user.name if user is not None else "Anonymous"

    # --- clock ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The workspace's current time (UTC, full precision); mutations stamp it per minute."""
        return self._clock() + self._clock_offset

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        """Use `clock` (returning aware datetimes) as the time source, with no offset."""
        self._clock = clock
        self._clock_offset = timedelta(0)

    def advance_clock(self, delta: timedelta) -> None:
        """Move `now()` forward by `delta`, e.g. so a later edit lands in a later minute."""
        self._clock_offset += delta

    # --- mutations -----------------------------------------------------------------------

    def update_page(
        self, page_id: str, properties: Mapping[str, Any], *, edited_by: str | None = None
    ) -> Page:
        """Set property values (keyed by name or id, in the value forms of the module doc).

        Raises `KeyError` for an unknown page and `WorkspaceError` for a value Notion would
        reject. `edited_by` defaults to the first person (a human edit in the Notion app).
        """
        with self.lock:
            page = self._existing_page(page_id)
            if page.in_trash:
                raise WorkspaceError(
                    "Can't edit block that is archived. You must unarchive the block before editing."
                )
            data_source = self.data_sources[page.data_source_id]
            values = dict(page.values)
            values.update(self._coerce_all(data_source, properties))
            page.values = {k: v for k, v in values.items() if v not in (None, (), "")}
            self._touch(page, edited_by)
            return page

    def create_page(
        self,
        data_source_id: str,
        properties: Mapping[str, Any],
        *,
        created_by: str | None = None,
    ) -> str:
        """Add a page to a data source and return its id; `Key` numbers continue the sequence.

        `created_by` defaults to the first person; the sandbox passes the bot for API writes.
        """
        with self.lock:
            data_source = self.data_sources.get(normalize_id(data_source_id) or "")
            if data_source is None:
                raise KeyError(data_source_id)
            values = {
                k: v
                for k, v in self._coerce_all(data_source, properties).items()
                if v not in (None, (), "")
            }
            author = self._author(created_by)
            stamp = minute(self.now())
            has_key = any(p.type == "unique_id" for p in data_source.properties.values())
            numbers = [p.unique_number or 0 for p in data_source.pages]
            page = Page(
                id=_new_id(self._rng),
                data_source_id=data_source.id,
                created_time=stamp,
                last_edited_time=stamp,
                created_by=author,
                last_edited_by=author,
                values=values,
                unique_number=(max(numbers, default=0) + 1) if has_key else None,
            )
            data_source.pages.append(page)
            self.pages[page.id] = page
            self.version += 1
            return page.id

    def trash_page(
        self, page_id: str, *, in_trash: bool = True, edited_by: str | None = None
    ) -> Page:
        """Move a page to the trash (or restore it with `in_trash=False`).

        Trashed pages vanish from queries but `GET /v1/pages/{id}` still answers them.
        """
        with self.lock:
            page = self._existing_page(page_id)
            if page.in_trash != in_trash:
                page.in_trash = in_trash
                self._touch(page, edited_by)
            return page

    def add_person(self, name: str, email: str | None = None) -> str:
        """Add a workspace member (as inviting someone to the workspace does); returns the id."""
        with self.lock:
            user = User(
                id=_new_id(self._rng),
                name=name,
                type="person",
                email=email or f"{name.lower().replace(' ', '.')}@example.com",
            )
            self.users.append(user)
            self._users_by_id[user.id] = user
            self.version += 1
            return user.id

    def add_data_source(self, database_id: str, title: str, *, like: str) -> str:
        """Add a data source to a database with the schema of data source `like` (as a user
        adding a second source to an existing database); returns its id. Starts empty."""
        with self.lock:
            database = self.databases[normalize_id(database_id) or database_id]
            template = self.data_sources[normalize_id(like) or like]
            stamp = minute(self.now())
            source = DataSource(
                id=_new_id(self._rng),
                database_id=database.id,
                title=title,
                properties=copy.deepcopy(template.properties),
                created_time=stamp,
                last_edited_time=stamp,
                created_by=self.people[0].id,
            )
            self.data_sources[source.id] = source
            database.data_source_ids.append(source.id)
            self.version += 1
            return source.id

    # --- internals -----------------------------------------------------------------------

    def _existing_page(self, page_id: str) -> Page:
        page = self.page(page_id)
        if page is None:
            raise KeyError(page_id)
        return page

    def _author(self, user_id: str | None) -> str:
        if user_id is None:
            return self.people[0].id
        user = self.user(user_id)
        if user is None:
            raise WorkspaceError(f"Could not find user with ID: {user_id}.")
        return user.id

    def _touch(self, page: Page, edited_by: str | None) -> None:
        page.last_edited_by = self._author(edited_by)
        page.last_edited_time = max(page.created_time, minute(self.now()))
        self.version += 1

    def _coerce_all(self, data_source: DataSource, properties: Mapping[str, Any]) -> dict[str, Any]:
        coerced: dict[str, Any] = {}
        for key, value in properties.items():
            schema = data_source.find_property(key)
            if schema is None:
                raise WorkspaceError(f"{key} is not a property that exists.")
            coerced[schema.name] = self._coerce(schema, value)
        return coerced

    def _coerce(self, schema: PropertySchema, value: Any) -> Any:
        kind, name = schema.type, schema.name
        if kind in READ_ONLY_TYPES:
            raise WorkspaceError(f"{name} is a {kind} property and cannot be written.")
        if kind in ("title", "rich_text"):
            return _coerce_rich_text(name, value)
        if kind == "number":
            if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
                return value
            raise WorkspaceError(f"{name} is expected to be number.")
        if kind in ("select", "status"):
            if value is None:
                return None
            if not isinstance(value, str):
                raise WorkspaceError(f"{name} is expected to be {kind}.")
            return self._option_name(schema, value)
        if kind == "multi_select":
            names = _as_tuple(name, value, str)
            return tuple(self._option_name(schema, n) for n in dict.fromkeys(names))
        if kind == "people":
            ids = _as_tuple(name, value, str)
            users = [self.user(i) for i in ids]
            for raw, user in zip(ids, users, strict=True):
                if user is None:
                    raise WorkspaceError(f"Could not find user with ID: {raw}.")
            return tuple(dict.fromkeys(u.id for u in users if u is not None))
        if kind == "relation":
            return self._coerce_relation(schema, _as_tuple(name, value, str))
        if kind == "date":
            return _coerce_date(name, value)
        raise WorkspaceError(f"{name}: property type {kind} is not supported by the sandbox.")

    def _option_name(self, schema: PropertySchema, name: str) -> str:
        if schema.option(name) is not None:
            return name
        if schema.type == "status":
            raise WorkspaceError(f'Invalid status option. Status option "{name}" does not exist.')
        if "," in name:
            raise WorkspaceError(f"Select option names cannot contain commas: {name!r}.")
        # Notion creates select / multi-select options on write, and so do we.
        color = self._rng.choice(_COLORS)
        schema.options.append(Option(id=_new_id(self._rng), name=name, color=color))
        return name

    def _coerce_relation(self, schema: PropertySchema, ids: tuple[str, ...]) -> tuple[str, ...]:
        resolved: list[str] = []
        for raw in ids:
            page = self.page(raw)
            if page is None or page.data_source_id != schema.relation_data_source_id:
                raise WorkspaceError(
                    f"{schema.name}: page {raw} is not in the related data source "
                    f"{schema.relation_data_source_id}."
                )
            resolved.append(page.id)
        return tuple(dict.fromkeys(resolved))


def _as_tuple(name: str, value: Any, kind: type) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise WorkspaceError(f"{name} is expected to be a list.")
    items = tuple(value)
    if not all(isinstance(item, kind) for item in items):
        raise WorkspaceError(f"{name} is expected to be a list of {kind.__name__}.")
    return items


def _coerce_rich_text(name: str, value: Any) -> str | tuple[str | UserMention | Link, ...]:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, Iterable):
        raise WorkspaceError(f"{name} is expected to be text.")
    segments = tuple(value)
    if not all(isinstance(s, str | UserMention | Link) for s in segments):
        raise WorkspaceError(f"{name} segments must be str, UserMention or Link.")
    if all(isinstance(s, str) for s in segments):
        return "".join(segments)
    return segments


def _coerce_date(name: str, value: Any) -> DateValue | None:
    if value is None:
        return None
    if isinstance(value, DateValue):
        result = value
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise WorkspaceError(f"{name}: a datetime needs a time zone.")
        result = DateValue(value.isoformat(timespec="milliseconds"))
    elif isinstance(value, date):
        result = DateValue(value.isoformat())
    elif isinstance(value, str):
        result = DateValue(value)
    elif isinstance(value, Mapping) and isinstance(value.get("start"), str):
        result = DateValue(value["start"], value.get("end"), value.get("time_zone"))
    else:
        raise WorkspaceError(f"{name} is expected to be date.")
    for part in (result.start, result.end):
        if part is not None and not _is_iso(part):
            raise WorkspaceError(f"{name}: {part!r} is not an ISO 8601 date.")
    return result


def _is_iso(text: str) -> bool:
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
