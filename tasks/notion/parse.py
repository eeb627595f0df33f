"""A page of query results turned into rows ready to write (tickets and sprints).

Why a module of its own: `rows.py` turns *one* page object into a row; a batch needs more that
has nothing to do with the database — retrieving the pages a query answered only partially,
leaving out (and counting as quarantined) objects that are no page at all, replacing NUL
characters PostgreSQL cannot store, fetching relation and people properties Notion cut off at
25 items, and choosing a ticket's sprint when it is related to several.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any, TypeVar

from tasks.notion.client import NotionGateway
from tasks.notion.errors import NotionAccessError
from tasks.notion.mapping import SprintMapping, TicketMapping
from tasks.notion.rows import (
    MalformedPageError,
    ParsedSprint,
    ParsedTicket,
    apply_full_relation,
    sprint_row,
    ticket_row,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


def parse_ticket_pages(
    pages: Sequence[dict[str, Any]],
    mapping: TicketMapping,
    data_source_id: str,
    gateway: NotionGateway | None,
    tz: tzinfo | None = None,
) -> list[ParsedTicket]:
    """Parse a page of results; with a gateway, properties cut at 25 items are fetched whole."""
    parsed = readable_pages(pages, lambda page: ticket_row(page, mapping, data_source_id, tz))
    for ticket in parsed:
        scrub_nul(ticket.row)
    if gateway is not None:
        complete_cut_properties(parsed, gateway)
    return parsed


def complete_cut_properties(tickets: Sequence[ParsedTicket], gateway: NotionGateway) -> None:
    """Read whole, from the page property endpoint, every relation/people property Notion may
    have cut at 25 items (one request per 100 items), and complete the tickets in place."""
    for ticket in tickets:
        for name in list(ticket.relation_overflow):
            prop_id = ticket.row["raw"][name]["id"]
            items = gateway.property_items(ticket.row["id"], prop_id)
            apply_full_relation(ticket, name, [_item_id(item) for item in items if _item_id(item)])


def is_partial(result: Any) -> bool:
    """A partial page object (`{"object": "page", "id": …}`): a query may answer one instead of
    the page, which is then still there — never a sign of removal."""
    return (
        isinstance(result, dict)
        and result.get("object") == "page"
        and isinstance(result.get("id"), str)
        and "properties" not in result
    )


def complete_partial_pages(
    results: Sequence[Any], gateway: NotionGateway | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The page objects of a page of results, partial ones retrieved whole (one request each).

    Returns the pages and the ids of partial pages that could not be retrieved (no longer
    shared, or gone since): the caller keeps those ids as seen, so a full scan never marks a
    page removed only because a query answered it partially. Non-page results are left out.
    """
    pages: list[dict[str, Any]] = []
    unresolved: list[str] = []
    for result in results:
        if not isinstance(result, dict) or result.get("object") != "page":
            continue
        if not is_partial(result) or gateway is None:
            pages.append(result)
            continue
        try:
            pages.append(gateway.retrieve_page(result["id"]))
        except NotionAccessError as exc:
            log.warning("could not retrieve partial page %s (%s)", result["id"], exc)
            unresolved.append(result["id"])
    return pages, unresolved


def parse_sprint_pages(
    pages: Sequence[dict[str, Any]], mapping: SprintMapping, data_source_id: str, tz: tzinfo
) -> list[ParsedSprint]:
    """Parse a page of Sprints results (unreadable objects left out, NUL characters replaced)."""
    parsed = readable_pages(pages, lambda page: sprint_row(page, mapping, data_source_id, tz))
    for sprint in parsed:
        scrub_nul(sprint.row)
    return parsed


def choose_latest_sprint(tickets: Sequence[ParsedTicket], sprint_starts: dict[str, Any]) -> None:
    """A ticket related to several sprints belongs to the one that starts last.

    Teams carry unfinished work over by adding the new sprint to the relation and leaving the
    old one there; the ticket is in the new sprint's scope, whatever order Notion lists them in.
    The whole relation counts (`ParsedTicket.sprint_ids`, completed past Notion's 25 by
    `complete_cut_properties`), not the 25 a page object shows. Sprints not synced (no start
    known) rank below known ones.
    """
    for ticket in tickets:
        name = ticket.mapping.sprint
        related = ticket.sprint_ids
        if name is None or len(related) < 2:
            continue
        ordered = sorted(
            related,
            key=lambda sid: (sprint_starts.get(sid) is not None, str(sprint_starts.get(sid) or "")),
            reverse=True,
        )
        if ordered[0] != ticket.row.get("sprint_id"):
            apply_full_relation(ticket, name, ordered)


def readable_pages(pages: Sequence[dict[str, Any]], parse: Callable[[Any], T]) -> list[T]:
    """Parse each page, leaving out (and logging) any that is not a usable page object at all.

    A malformed property only lands in `parse_errors`; a page with no id or no properties
    cannot be stored, and must not stop the sync — the cursor has to move past it. The caller
    counts the difference as quarantined.
    """
    parsed = []
    for page in pages:
        try:
            parsed.append(parse(page))
        except MalformedPageError as exc:
            log.warning("quarantined an unreadable page (%s)", exc)
    return parsed


def scrub_nul(row: dict[str, Any]) -> None:
    """Replace NUL characters with U+FFFD in a row's text columns, in place.

    PostgreSQL cannot store NUL in `text`; everything else of hostile text (HTML, other control
    characters, RTL, emoji, any length) is stored verbatim. JSON columns (`raw`, `tags`, …) get
    the same treatment from the engine's JSON serializer (`models.db.dumps_without_nul`). Done
    on every backend so SQLite and PostgreSQL hold the same data.
    """
    for name, value in row.items():
        if isinstance(value, str) and "\x00" in value:
            row[name] = value.replace("\x00", "\ufffd")


def _item_id(item: dict[str, Any]) -> str | None:
    """The related page id or user id of one property item (relation or people)."""
    if item.get("type") == "relation":
        return (item.get("relation") or {}).get("id")
    if item.get("type") == "people":
        return (item.get("people") or {}).get("id")
    return None
