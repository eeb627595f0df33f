"""The bundled sample workspace: a realistic engineering team's Notion, generated on demand.

Why generated rather than a fixture file: the demo and the tests need a *current* sprint whatever
the date, and the benchmark needs 100,000 tickets. A seeded generator relative to `today` gives
both, reproducibly (same `today`, `n_tickets` and `seed` → same workspace, ids included; database,
data source, property and user ids depend on the seed alone).

The generator is split in three: `sandbox.sample_content` (the statuses, tags, people and words),
`sandbox.sample_history` (sprints and tickets over time) and this module (ids, users, schemas, and
`build_sample_workspace` putting them together). Records are `sandbox.records`, the container is
`sandbox.workspace.Workspace`.
"""

from __future__ import annotations

import gc
import random
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

from sandbox.records import (
    _COLORS,
    COMPLETE_GROUP,
    IN_PROGRESS_GROUP,
    TODO_GROUP,
    Database,
    DataSource,
    Option,
    PropertySchema,
    StatusGroup,
    User,
    _new_id,
)
from sandbox.sample_content import (
    _EMAIL_DOMAIN,
    _PEOPLE,
    _WORKSPACE_NAME,
    GC_FREEZE_THRESHOLD,
    PRIORITIES,
    SPRINT_STATUSES,
    TAGS,
    TICKET_KEY_PREFIX,
    TICKET_STATUSES,
)
from sandbox.sample_history import _make_sprints, _make_tickets, _Timeline
from sandbox.workspace import Workspace


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
