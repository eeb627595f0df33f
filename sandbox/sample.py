"""The bundled sample workspace: a realistic engineering team's Notion, generated on demand.

Why generated rather than a fixture file: the demo and the tests need a *current* sprint whatever
the date, and the benchmark needs 100,000 tickets. A seeded generator relative to `today` gives
both, reproducibly (same `today`, `n_tickets` and `seed` → same workspace, ids included; database,
data source, property and user ids depend on the seed alone).

Records hold plain Python values; the sandbox (`sandbox.server`) renders Notion JSON per
request. That keeps 100k tickets well under 300 MB and makes mutations in tests one-liners.

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

import gc
import random
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

TODO_GROUP, IN_PROGRESS_GROUP, COMPLETE_GROUP = "To-do", "In progress", "Complete"

#: Status options of the Tickets data source, by group, in Notion's display order.
TICKET_STATUSES: dict[str, tuple[str, ...]] = {
    TODO_GROUP: ("Backlog", "Todo"),
    IN_PROGRESS_GROUP: ("In Progress", "In Review", "Blocked"),
    COMPLETE_GROUP: ("Done", "Won't Do"),
}
#: Status options of the Sprints data source, by group.
SPRINT_STATUSES: dict[str, tuple[str, ...]] = {
    TODO_GROUP: ("Planned",),
    IN_PROGRESS_GROUP: ("Active",),
    COMPLETE_GROUP: ("Completed",),
}
PRIORITIES = ("P0", "P1", "P2", "P3")
TAGS = (
    "backend",
    "frontend",
    "infra",
    "bug",
    "tech-debt",
    "customer",
    "security",
    "docs",
    "mobile",
    "data",
)
TICKET_KEY_PREFIX = "ENG"
SPRINT_LENGTH_DAYS = 14
#: A Monday; sprint numbers count from here so a sprint keeps its name from one day to the next.
SPRINT_ANCHOR = date(2025, 3, 3)
PAST_SPRINTS = 6
#: From this many tickets on, the generated records are exempted from cyclic GC (see below).
GC_FREEZE_THRESHOLD = 10_000
READ_ONLY_TYPES = frozenset(
    {"unique_id", "created_by", "created_time", "last_edited_time", "last_edited_by"}
)
#: Titles a real workspace eventually contains; stored verbatim so parsers and templates meet them.
HOSTILE_TITLES: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "Null\x00byte, bell\x07, escape \x1b[31mred\x1b[0m and a\ttab",
    "Line one\nline two\r\nline three",
    "🚀 Ship dark mode 🌙 — finally ✨ 👩\u200d💻",
    "إصلاح خطأ تسجيل الدخول عبر Google",
    "תיקון באג בעמוד התשלום",
    "Robert'); DROP TABLE tickets;--",
    "",
    ("Investigate intermittent timeouts in the payment reconciliation batch job " * 41)[:3000],
    "   leading and trailing spaces   ",
)
EPIC_TITLE = "Epic: Migrate billing to usage-based pricing"
EPIC_RELATED_COUNT = 30

_PEOPLE = (
    "Priya Raman",
    "Marcus Chen",
    "Zoë Ångström",
    "Diego Alvarez",
    "Hannah Okafor",
    "Tomasz Nowak",
    "Aisha Bello",
    "Liam O'Connor",
    "Sofia Rossi",
    "Kenji Watanabe",
    "Fatima Haddad",
    "Noah Williams",
)
_EMAIL_DOMAIN = "acme.dev"
_WORKSPACE_NAME = "Acme Engineering"
_VERBS = (
    "Fix",
    "Add",
    "Refactor",
    "Investigate",
    "Migrate",
    "Remove",
    "Update",
    "Improve",
    "Document",
    "Spike:",
    "Implement",
    "Harden",
)
_OBJECTS = (
    "flaky checkout test",
    "rate limiting for webhooks",
    "dark mode toggle",
    "CSV export of invoices",
    "SSO login with Okta",
    "invoice PDF rendering",
    "search indexing job",
    "onboarding email sequence",
    "audit log retention",
    "push notifications",
    "password reset flow",
    "feature flag cleanup",
    "Postgres connection pooling",
    "GraphQL pagination",
    "S3 upload retries",
    "billing usage meter",
    "team invitation emails",
    "API key rotation",
    "dashboard load time",
    "timezone handling in reports",
    "Slack integration",
    "error tracking alerts",
    "Kubernetes HPA settings",
    "data warehouse sync",
)
_CONTEXTS = (
    "",
    "",
    "",
    " on Safari",
    " in the admin console",
    " for EU customers",
    " (customer escalation)",
    " behind a feature flag",
    " on Android",
    " for enterprise plan",
    " before the Q4 launch",
)
_DESCRIPTIONS = (
    "Repro steps are in the linked support thread.",
    "Customer-facing; keep the old behaviour behind a flag until rollout is done.",
    "Acceptance: covered by an integration test and visible in the staging dashboard.",
    "Happens roughly once a day in CI, never locally.",
    "Follow-up from the incident review last week.",
    "Needs a migration; coordinate with the data team before merging.",
    "Small change, but touches the public API: update the changelog.",
)


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
    """A database: a container of data sources (here, always exactly one)."""

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

    def user(self, user_id: str) -> User | None:
        """The user with this id (dashed or not), or None."""
        return self._users_by_id.get(normalize_id(user_id) or "")

    def page(self, page_id: str) -> Page | None:
        """The page with this id (dashed or not), trashed or not, or None."""
        return self.pages.get(normalize_id(page_id) or "")

    def tickets(self, *, include_trashed: bool = False) -> list[Page]:
        """Ticket pages in creation order; trashed ones only when asked (queries never show them)."""
        return [p for p in self.tickets_data_source.pages if include_trashed or not p.in_trash]

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


_COLORS = ("gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")


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


# --- generation ----------------------------------------------------------------------------


#: Tickets at the head of the current sprint whose status and pointing are fixed (see `current`).
_ANCHORED_POSITIONS = 9


def build_sample_workspace(
    today: date | None = None, n_tickets: int = 400, seed: int = 7
) -> Workspace:
    """Generate the sample workspace relative to `today` (default: today in UTC).

    Six closed sprints, the current one (containing `today`), the next one, and `n_tickets`
    tickets spread over them and the backlog. Every generated timestamp is before `today` 00:00
    UTC, so the result depends only on the arguments, and the workspace clock (`now()`) starts
    after all of them.

    A workspace of `GC_FREEZE_THRESHOLD` tickets or more is moved out of the cyclic garbage
    collector's reach (`gc.collect(); gc.freeze()`, process-wide): its 200k+ container objects
    live as long as the server anyway, and otherwise every full collection walks them all —
    paging 100k tickets in-process spent about half its time in the collector. Reference
    counting still frees everything as usual.
    """
    today = today or datetime.now(UTC).date()
    rng = random.Random(seed)
    users = _make_users(rng)
    people = [u for u in users if u.type == "person"]
    owner = people[0]
    root_page_id = _new_id(rng)
    tickets_db_id, tickets_ds_id = _new_id(rng), _new_id(rng)
    sprints_db_id, sprints_ds_id = _new_id(rng), _new_id(rng)
    sprint_schema = _sprint_schema(rng)
    ticket_schema = _ticket_schema(rng, sprints_db_id, sprints_ds_id, tickets_db_id, tickets_ds_id)

    setup_time = datetime.combine(today - timedelta(days=420), time(10, 7), UTC)
    databases = {
        sprints_db_id: Database(
            id=sprints_db_id,
            title="Sprints",
            description="Two-week sprints, starting on Mondays.",
            parent_page_id=root_page_id,
            data_source_ids=[sprints_ds_id],
            created_time=setup_time,
            last_edited_time=setup_time + timedelta(days=30, minutes=12),
            created_by=owner.id,
        ),
        tickets_db_id: Database(
            id=tickets_db_id,
            title="Tickets",
            description="Engineering work items.",
            parent_page_id=root_page_id,
            data_source_ids=[tickets_ds_id],
            created_time=setup_time + timedelta(minutes=3),
            last_edited_time=setup_time + timedelta(days=31, minutes=40),
            created_by=owner.id,
        ),
    }
    sprints_ds = DataSource(
        id=sprints_ds_id,
        database_id=sprints_db_id,
        title="Sprints",
        properties=sprint_schema,
        created_time=setup_time,
        last_edited_time=setup_time + timedelta(days=30, minutes=12),
        created_by=owner.id,
    )
    tickets_ds = DataSource(
        id=tickets_ds_id,
        database_id=tickets_db_id,
        title="Tickets",
        properties=ticket_schema,
        created_time=setup_time + timedelta(minutes=3),
        last_edited_time=setup_time + timedelta(days=31, minutes=40),
        created_by=owner.id,
    )

    timeline = _Timeline(random.Random(f"{seed}:{today.isoformat()}:{n_tickets}"), today)
    sprints_ds.pages = _make_sprints(timeline, rng, sprints_ds_id, people)
    tickets_ds.pages = _make_tickets(timeline, n_tickets, tickets_ds_id, sprints_ds.pages, users)

    pages = {p.id: p for p in (*sprints_ds.pages, *tickets_ds.pages)}
    workspace = Workspace(
        today=today,
        name=_WORKSPACE_NAME,
        users=users,
        databases=databases,
        data_sources={sprints_ds_id: sprints_ds, tickets_ds_id: tickets_ds},
        pages=pages,
        tickets_database_id=tickets_db_id,
        sprints_database_id=sprints_db_id,
        root_page_id=root_page_id,
        seed=seed,
    )
    if n_tickets >= GC_FREEZE_THRESHOLD:
        gc.collect()
        gc.freeze()
    return workspace


def _new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_PROPERTY_ID_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:;<=>@[]^`{|}~"
)


def _property_id(rng: random.Random, taken: set[str]) -> str:
    """A short id like Notion's (`"%3AbQx"`): four characters, URL-encoded, unique per source."""
    while True:
        candidate = quote("".join(rng.choices(_PROPERTY_ID_ALPHABET, k=4)), safe="")
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _make_users(rng: random.Random) -> list[User]:
    users = []
    for index, name in enumerate(_PEOPLE):
        user_id = _new_id(rng)
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        local = ".".join(ascii_name.lower().replace("'", "").split())
        avatar = (
            f"https://s3-us-west-2.amazonaws.com/public.notion-static.com/{_new_id(rng)}/avatar.png"
            if index % 3 != 2
            else None
        )
        users.append(User(user_id, name, "person", f"{local}@{_EMAIL_DOMAIN}", avatar))
    users.append(User(_new_id(rng), "Conductor", "bot"))
    return users


def _status_schema(
    rng: random.Random, taken: set[str], name: str, statuses: dict[str, tuple[str, ...]]
) -> PropertySchema:
    option_colors = {
        "Backlog": "default",
        "Todo": "gray",
        "Planned": "gray",
        "In Progress": "blue",
        "Active": "blue",
        "In Review": "purple",
        "Blocked": "red",
        "Done": "green",
        "Completed": "green",
        "Won't Do": "brown",
    }
    group_colors = {TODO_GROUP: "gray", IN_PROGRESS_GROUP: "blue", COMPLETE_GROUP: "green"}
    options = [
        Option(_new_id(rng), option, option_colors[option])
        for group in statuses.values()
        for option in group
    ]
    groups = [
        StatusGroup(_new_id(rng), group, group_colors[group], names)
        for group, names in statuses.items()
    ]
    return PropertySchema(name, _property_id(rng, taken), "status", options=options, groups=groups)


def _sprint_schema(rng: random.Random) -> dict[str, PropertySchema]:
    taken = {"title"}
    schema = [
        PropertySchema("Name", "title", "title"),
        PropertySchema("Dates", _property_id(rng, taken), "date"),
        _status_schema(rng, taken, "Status", SPRINT_STATUSES),
    ]
    return {p.name: p for p in schema}


def _ticket_schema(
    rng: random.Random,
    sprints_db_id: str,
    sprints_ds_id: str,
    tickets_db_id: str,
    tickets_ds_id: str,
) -> dict[str, PropertySchema]:
    taken = {"title"}
    priority_colors = {"P0": "red", "P1": "orange", "P2": "yellow", "P3": "gray"}
    schema = [
        PropertySchema("Name", "title", "title"),
        PropertySchema("Key", _property_id(rng, taken), "unique_id", prefix=TICKET_KEY_PREFIX),
        _status_schema(rng, taken, "Status", TICKET_STATUSES),
        PropertySchema("Points", _property_id(rng, taken), "number", description="Story points"),
        PropertySchema("Assignee", _property_id(rng, taken), "people"),
        PropertySchema(
            "Sprint",
            _property_id(rng, taken),
            "relation",
            relation_data_source_id=sprints_ds_id,
            relation_database_id=sprints_db_id,
        ),
        PropertySchema(
            "Priority",
            _property_id(rng, taken),
            "select",
            options=[Option(_new_id(rng), p, priority_colors[p]) for p in PRIORITIES],
        ),
        PropertySchema(
            "Tags",
            _property_id(rng, taken),
            "multi_select",
            options=[Option(_new_id(rng), t, rng.choice(_COLORS)) for t in TAGS],
        ),
        PropertySchema("Due", _property_id(rng, taken), "date"),
        PropertySchema("Description", _property_id(rng, taken), "rich_text"),
        PropertySchema(
            "Related",
            _property_id(rng, taken),
            "relation",
            relation_data_source_id=tickets_ds_id,
            relation_database_id=tickets_db_id,
            description="Tickets this one blocks or depends on",
        ),
        PropertySchema("Created by", _property_id(rng, taken), "created_by"),
    ]
    return {p.name: p for p in schema}


@dataclass(frozen=True, slots=True)
class _SprintSpan:
    page_id: str
    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(8), UTC)

    @property
    def end_at(self) -> datetime:
        # Sprints end on the Sunday; the work ends Friday evening.
        return datetime.combine(self.end - timedelta(days=2), time(18), UTC)


class _Timeline:
    """Plausible working-hours moments, all before `today` 00:00 UTC (the generation horizon)."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.horizon = datetime.combine(today, time(0), UTC) - timedelta(minutes=1)
        k = (today - SPRINT_ANCHOR).days // SPRINT_LENGTH_DAYS
        self.current_start = SPRINT_ANCHOR + timedelta(days=SPRINT_LENGTH_DAYS * k)
        # Keep sprint numbers positive (and monotonic) for dates long before the anchor.
        shift = 0 if k >= PAST_SPRINTS else 26 * (-(-(PAST_SPRINTS - k) // 26))
        self.current_number = k + 1 + shift

    def between(self, lo: datetime, hi: datetime) -> datetime:
        """A minute in [lo, hi] (clamped to the horizon), preferring weekdays 08:00-18:00."""
        hi = min(hi, self.horizon)
        lo = min(lo, hi)
        rng = self.rng
        days = (hi.date() - lo.date()).days
        for _ in range(4):
            day = lo.date() + timedelta(days=rng.randint(0, days))
            if day.weekday() >= 5 and rng.random() < 0.9:
                continue
            moment = datetime.combine(day, time(8), UTC) + timedelta(minutes=rng.randrange(600))
            if lo <= moment <= hi:
                return moment
        span = (hi - lo).total_seconds()
        return minute(lo + timedelta(seconds=rng.random() * span)) if span > 0 else minute(lo)

    def shortly_after(self, moment: datetime) -> datetime:
        """A few minutes after `moment` (a ticket created and never touched again)."""
        return min(moment + timedelta(minutes=self.rng.randrange(0, 6)), self.horizon)


def _make_sprints(
    timeline: _Timeline, rng: random.Random, data_source_id: str, people: list[User]
) -> list[Page]:
    pages = []
    for offset in range(-PAST_SPRINTS, 2):
        start = timeline.current_start + timedelta(days=SPRINT_LENGTH_DAYS * offset)
        end = start + timedelta(days=SPRINT_LENGTH_DAYS - 1)
        status = "Completed" if offset < 0 else "Active" if offset == 0 else "Planned"
        start_at = datetime.combine(start, time(8), UTC)
        created = timeline.between(start_at - timedelta(days=10), start_at - timedelta(days=3))
        if offset < 0:  # closed on the Monday after the sprint
            edited = timeline.between(
                start_at + timedelta(days=SPRINT_LENGTH_DAYS),
                start_at + timedelta(days=SPRINT_LENGTH_DAYS, hours=3),
            )
        elif offset == 0:  # activated on its first morning
            edited = timeline.between(start_at, start_at + timedelta(hours=2))
        else:
            created = timeline.between(start_at - timedelta(days=14), start_at - timedelta(days=5))
            edited = timeline.between(created, created + timedelta(days=3))
        editor = people[0].id
        pages.append(
            Page(
                id=_new_id(rng),
                data_source_id=data_source_id,
                created_time=created,
                last_edited_time=max(created, edited),
                created_by=editor,
                last_edited_by=editor,
                values={
                    "Name": f"Sprint {timeline.current_number + offset}",
                    "Dates": DateValue(start.isoformat(), end.isoformat()),
                    "Status": status,
                },
            )
        )
    return pages


_FIBONACCI = (1, 2, 3, 5, 8, 13)
_FIBONACCI_WEIGHTS = (15, 25, 25, 20, 10, 5)
_PRIORITY_WEIGHTS = (4, 18, 48, 30)
_TAG_COUNT_WEIGHTS = (25, 45, 22, 8)
_SHARES = (0.087,) * PAST_SPRINTS + (0.12, 0.09)  # past sprints, current, next; rest: backlog


def _make_tickets(
    timeline: _Timeline,
    n_tickets: int,
    data_source_id: str,
    sprint_pages: list[Page],
    users: list[User],
) -> list[Page]:
    """Tickets over closed sprints (mostly Done), the current one (a mix), next, and backlog."""
    rng = timeline.rng
    people = [u for u in users if u.type == "person"]
    bot = next(u for u in users if u.type == "bot")
    spans = [
        _SprintSpan(
            p.id,
            date.fromisoformat(p.values["Dates"].start),
            date.fromisoformat(p.values["Dates"].end),
        )
        for p in sprint_pages
    ]
    counts = [int(n_tickets * share) for share in _SHARES]
    counts.append(n_tickets - sum(counts))
    factory = _TicketFactory(timeline, data_source_id, people, bot)

    tickets: list[Page] = []
    for index, count in enumerate(counts):
        for position in range(count):
            if index < PAST_SPRINTS:
                page = factory.past(spans, index)
            elif index == PAST_SPRINTS:
                page = factory.current(spans, index, position)
            elif index == PAST_SPRINTS + 1:
                page = factory.next(spans, index)
            else:
                page = factory.backlog()
            tickets.append(page)

    tickets.sort(key=lambda p: p.created_time)
    for number, page in enumerate(tickets, start=1):
        page.unique_number = number
    _add_special_tickets(rng, tickets, spans[PAST_SPRINTS].page_id, timeline)
    return tickets


def _add_special_tickets(
    rng: random.Random, tickets: list[Page], current_sprint_id: str, timeline: _Timeline
) -> None:
    """Hostile titles, one epic with 30 related tickets, a few links and a few trashed pages."""
    if not tickets:
        return
    current = [p for p in tickets if current_sprint_id in p.values.get("Sprint", ())]
    epic = current[len(current) // 2] if current else tickets[len(tickets) // 2]
    epic.values["Name"] = EPIC_TITLE
    others = [p for p in tickets if p is not epic]
    epic.values["Related"] = tuple(
        p.id for p in rng.sample(others, min(EPIC_RELATED_COUNT, len(others)))
    )
    candidates = [p for p in others if p.id not in epic.values["Related"]] or others
    hostile = rng.sample(candidates, min(len(HOSTILE_TITLES), len(candidates)))
    for page, title in zip(hostile, HOSTILE_TITLES, strict=False):
        page.values["Name"] = title
    for page in rng.sample(others, len(others) // 25):
        if "Related" not in page.values:
            related = rng.sample(others, rng.randint(1, min(3, len(others))))
            page.values["Related"] = tuple(p.id for p in related if p is not page)
    keep = {p.id for p in hostile} | set(epic.values["Related"])
    trashable = [p for p in others if p.id not in keep and "Related" not in p.values]
    for page in rng.sample(trashable, min(len(trashable), max(1, len(tickets) // 150))):
        page.in_trash = True
        page.last_edited_time = timeline.between(page.last_edited_time, timeline.horizon)


class _TicketFactory:
    """Makes one ticket at a time for a given sprint position; all randomness from the timeline."""

    def __init__(
        self, timeline: _Timeline, data_source_id: str, people: list[User], bot: User
    ) -> None:
        self.timeline = timeline
        self.rng = timeline.rng
        self.data_source_id = data_source_id
        self.people = people
        self.bot = bot
        self.progress = min(
            1.0, (timeline.today - timeline.current_start).days / SPRINT_LENGTH_DAYS
        )

    def past(self, spans: list[_SprintSpan], index: int) -> Page:
        rng, span = self.rng, spans[index]
        created, sprint = self._planned_into(spans, index)
        r = rng.random()
        status = (
            "Done"
            if r < 0.88
            else "Won't Do"
            if r < 0.93
            else "In Progress"
            if r < 0.97
            else "Todo"
        )
        edited = self.timeline.between(max(created, span.start_at), span.end_at)
        return self._ticket(status, sprint, created, edited, span.end, unpointed=0.07)

    def current(self, spans: list[_SprintSpan], index: int, position: int) -> Page:
        rng, span = self.rng, spans[index]
        created, sprint = self._planned_into(spans, index)
        done = 0.1 + 0.55 * self.progress
        r = rng.random()
        # The first positions are the sprint's promised mix on any day (tests/
        # test_sample_workspace_dates.py): pointed Blocked, In Progress and Todo work, and one
        # unpointed ticket; the rest follows the sprint's progress.
        unpointed = 0.0 if position < _ANCHORED_POSITIONS - 1 else 1.0
        if position < 3:
            status = "Blocked"
        elif position < 6:
            status = "In Progress"
        elif position < _ANCHORED_POSITIONS:
            status = "Todo"
        elif r < done:
            status = "Done"
        elif r < done + 0.02:
            status = "Won't Do"
        elif r < done + 0.09:
            status = "Blocked"
        elif r < done + 0.19:
            status = "In Review"
        elif r < done + 0.39:
            status = "In Progress"
        else:
            status = "Todo"
        if status == "Todo" and rng.random() < 0.5:
            edited = self.timeline.shortly_after(created)
        else:
            edited = self.timeline.between(max(created, span.start_at), self.timeline.horizon)
        if position >= _ANCHORED_POSITIONS:
            unpointed = 0.1
        return self._ticket(status, sprint, created, edited, span.end, unpointed=unpointed)

    def next(self, spans: list[_SprintSpan], index: int) -> Page:
        rng, span = self.rng, spans[index]
        current_start = spans[index - 1].start_at
        created = self.timeline.between(current_start - timedelta(days=3), self.timeline.horizon)
        r = rng.random()
        status = "Todo" if r < 0.85 else "Backlog" if r < 0.95 else "In Progress"
        edited = self.timeline.between(created, self.timeline.horizon)
        return self._ticket(status, (span.page_id,), created, edited, span.end, unpointed=0.15)

    def backlog(self) -> Page:
        rng, timeline = self.rng, self.timeline
        lo = datetime.combine(timeline.today - timedelta(days=200), time(8), UTC)
        created = timeline.between(lo, timeline.horizon)
        r = rng.random()
        status = "Backlog" if r < 0.7 else "Todo" if r < 0.9 else "Won't Do" if r < 0.96 else "Done"
        if rng.random() < 0.6:
            edited = timeline.between(created, timeline.horizon)
        else:
            edited = timeline.shortly_after(created)
        due_anchor = (created + timedelta(days=30)).date()
        return self._ticket(status, (), created, edited, due_anchor, unpointed=0.3, assigned=0.4)

    def _planned_into(
        self, spans: list[_SprintSpan], index: int
    ) -> tuple[datetime, tuple[str, ...]]:
        """Creation time and sprint relation: planned before start, added mid-sprint, or carried over."""
        rng, span = self.rng, spans[index]
        r = rng.random()
        if index > 0 and r < 0.12:
            previous = spans[index - 1]
            created = self.timeline.between(previous.start_at - timedelta(days=5), previous.end_at)
            keeps_old = rng.random() < 0.3  # some teams add the new sprint and keep the old one
            sprint = (previous.page_id, span.page_id) if keeps_old else (span.page_id,)
            return created, sprint
        if r < 0.75:
            lo, hi = span.start_at - timedelta(days=10), span.start_at - timedelta(hours=1)
        else:
            lo, hi = span.start_at, span.start_at + timedelta(days=9)
        return self.timeline.between(lo, hi), (span.page_id,)

    def _ticket(
        self,
        status: str,
        sprint: tuple[str, ...],
        created: datetime,
        edited: datetime,
        due_anchor: date,
        *,
        unpointed: float,
        assigned: float = 0.88,
    ) -> Page:
        rng = self.rng
        values: dict[str, Any] = {
            "Name": f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{rng.choice(_CONTEXTS)}",
            "Status": status,
        }
        if sprint:
            values["Sprint"] = sprint
        if rng.random() >= unpointed:
            values["Points"] = rng.choices(_FIBONACCI, _FIBONACCI_WEIGHTS)[0]
        if rng.random() < assigned:
            count = 2 if rng.random() < 0.12 else 1
            values["Assignee"] = tuple(p.id for p in rng.sample(self.people, count))
        if rng.random() >= 0.03:
            values["Priority"] = rng.choices(PRIORITIES, _PRIORITY_WEIGHTS)[0]
        tags = rng.sample(TAGS, rng.choices(range(4), _TAG_COUNT_WEIGHTS)[0])
        if tags:
            values["Tags"] = tuple(tags)
        if rng.random() < 0.28:
            values["Due"] = self._due(due_anchor)
        if rng.random() < 0.65:
            values["Description"] = self._description()
        author = self.bot.id if rng.random() < 0.05 else rng.choice(self.people).id
        assignees = values.get("Assignee") or (author,)
        editor = rng.choice(assignees) if edited > created else author
        if editor == self.bot.id:
            editor = rng.choice(self.people).id if edited > created else editor
        return Page(
            id=_new_id(rng),
            data_source_id=self.data_source_id,
            created_time=created,
            last_edited_time=max(created, edited),
            created_by=author,
            last_edited_by=editor,
            values=values,
        )

    def _due(self, anchor: date) -> DateValue:
        rng = self.rng
        day = anchor + timedelta(days=rng.randint(-4, 3))
        r = rng.random()
        if r < 0.7:
            return DateValue(day.isoformat())
        if r < 0.8:
            return DateValue(day.isoformat(), (day + timedelta(days=rng.randint(1, 4))).isoformat())
        hour = rng.choice((9, 12, 17))
        offset = rng.choice(("+00:00", "+01:00", "-05:00", "+05:30", "-08:00"))
        start = f"{day.isoformat()}T{hour:02d}:00:00.000{offset}"
        if r < 0.9:
            return DateValue(start)
        if r < 0.96:
            return DateValue(start, f"{day.isoformat()}T{hour + 2:02d}:00:00.000{offset}")
        zone = rng.choice(("Europe/Berlin", "America/New_York", "Asia/Tokyo"))
        return DateValue(f"{day.isoformat()}T{hour:02d}:00:00.000", None, zone)

    def _description(self) -> str | tuple[str | UserMention | Link, ...]:
        rng = self.rng
        text = rng.choice(_DESCRIPTIONS)
        r = rng.random()
        if r < 0.2:
            return ("Pairing with ", UserMention(rng.choice(self.people).id), f" on this. {text}")
        if r < 0.3:
            number = rng.randint(10, 99)
            return (
                f"{text} See ",
                Link(f"RFC-{number}", f"https://docs.acme.dev/rfc/{number}"),
                " for context.",
            )
        return text
