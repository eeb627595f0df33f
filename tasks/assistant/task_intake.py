"""Natural-language ticket intake: text → model draft → validated ticket → Notion page → ingested.

Why each step exists:

- The model only *drafts* (`TicketDraft`, a structured response); everything it says is then
  checked against what we know: the assignee must match exactly one known `Person` (full name,
  first name or email, case-insensitive), the sprint must resolve to a stored `Sprint`, the
  priority and tags must be options of the Notion property. A draft that does not parse gets one
  retry with the error shown to the model; a second failure is a clear error and nothing is
  created.
- Properties are written in Notion's write format under the property names of the detected
  mapping (`detect_ticket_mapping` on the live schema), so renamed properties keep working.
- The create call runs with `max_retries=0`: a POST retried after a timeout can create the page
  twice, and a duplicate ticket is worse than an error the user can retry.
- The sync runs right after, so the ticket shows in `conductor tickets` at once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlmodel import Session, select

from models import Person, Sprint, Ticket, clock
from models.errors import ConductorError
from models.people import match_people
from models.settings import ConfigError, Settings
from models.sprints import find_sprint
from tasks.assistant.chat import prompt_env
from tasks.llm.gateway import LlmUnavailableError, complete
from tasks.notion.client import NotionGateway
from tasks.notion.mapping import TicketMapping, detect_ticket_mapping
from tasks.notion.plan import resolve_data_source
from tasks.notion.status_categories import StatusRules
from tasks.notion.sync import run_sync

INTAKE_TEMPLATE = "task_intake.md.j2"
#: Notion's limit for one rich-text object's content.
TEXT_LIMIT = 2_000


class TaskIntakeError(ConductorError):
    """The request could not become a valid ticket; nothing was created. The message says why."""


class TicketDraft(BaseModel):
    """What the model extracts from the request; validated again against the workspace."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=TEXT_LIMIT)
    points: float | None = Field(default=None, ge=0, le=100)
    assignee: str | None = Field(default=None, max_length=200)
    sprint: str | None = Field(default=None, max_length=200)
    priority: str | None = Field(default=None, max_length=50)
    tags: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("title must not be blank")
        return value

    @field_validator("assignee", "sprint", "priority", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("", "none", "null", "unassigned"):
            return None
        return value


@dataclass
class TicketProposal:
    """A validated ticket ready to create: the draft, what it resolved to, and the properties."""

    draft: TicketDraft
    assignee: Person | None
    sprint: Sprint | None
    priority: str | None
    tags: list[str]
    data_source_id: str
    properties: dict[str, Any]
    mapping: TicketMapping

    def preview(self) -> dict[str, Any]:
        """What the user confirms, in their terms."""
        return {
            "title": self.draft.title,
            "description": self.draft.description,
            "points": self.draft.points,
            "assignee": (
                f"{self.assignee.name} <{self.assignee.email}>"
                if self.assignee and self.assignee.email
                else (self.assignee.name if self.assignee else None)
            ),
            "sprint": self.sprint.name if self.sprint else None,
            "priority": self.priority,
            "tags": ", ".join(self.tags),
        }


def prepare_ticket(
    session: Session,
    settings: Settings,
    request: str,
    *,
    gateway: NotionGateway | None = None,
    today: date | None = None,
) -> TicketProposal:
    """Draft and validate a ticket for `request`; nothing is written to Notion.

    Raises `TaskIntakeError` (with the reason) when no model is configured, the model's draft is
    malformed twice, or the draft names a person/sprint/priority that does not exist.
    """
    if not settings.notion_configured:
        raise ConfigError(
            "task create needs Notion: set CONDUCTOR_NOTION_TOKEN and both "
            "CONDUCTOR_NOTION_*_DATABASE_ID variables"
        )
    today = today or clock.local_today(settings.tz)
    own = gateway is None
    gateway = gateway or NotionGateway.from_settings(settings)
    try:
        data_source_id, schema = resolve_data_source(
            gateway,
            settings.notion_tickets_database_id or "",
            settings.notion_tickets_data_source_id,
        )
        sprints_source_id, _ = resolve_data_source(
            gateway, settings.notion_sprints_database_id or ""
        )
    finally:
        if own:
            gateway.close()
    mapping = detect_ticket_mapping(
        schema, settings.notion_property_map, sprints_source_id, StatusRules.from_settings(settings)
    )
    priorities = _options(schema, mapping.priority)
    tag_options = _options(schema, mapping.tags)
    draft = draft_ticket(
        session, settings, request, today=today, priorities=priorities, tags=tag_options
    )
    assignee = match_person(session, draft.assignee) if draft.assignee else None
    sprint = resolve_sprint(session, draft.sprint, today) if draft.sprint else None
    priority = _match_option(draft.priority, priorities, "priority") if draft.priority else None
    tags = [t for t in (_option_named(tag, tag_options) for tag in draft.tags) if t]
    properties = page_properties(mapping, draft, assignee, sprint, priority, tags)
    return TicketProposal(
        draft, assignee, sprint, priority, tags, data_source_id, properties, mapping
    )


def submit_ticket(
    session: Session,
    settings: Settings,
    proposal: TicketProposal,
    *,
    gateway: NotionGateway | None = None,
) -> dict[str, Any]:
    """Create the page (never retried) and ingest it; returns `{"page_id","key","url","ingest"}`."""
    with NotionGateway.from_settings(settings, max_retries=0) as creator:
        page = creator.create_page(proposal.data_source_id, proposal.properties)
    page_id = page["id"]
    own = gateway is None
    gateway = gateway or NotionGateway.from_settings(settings)
    try:
        # Waits for a scheduled sync running now (run_sync takes the ingest lock).
        stats = run_sync(session, gateway, settings)
    finally:
        if own:
            gateway.close()
    stored = session.get(Ticket, page_id)
    return {
        "page_id": page_id,
        "key": stored.key if stored else None,
        "title": proposal.draft.title,
        "url": (stored.url if stored else None) or page.get("url"),
        "ingest": stats.as_dict(),
    }


def draft_ticket(
    session: Session,
    settings: Settings,
    request: str,
    *,
    today: date,
    priorities: list[str],
    tags: list[str],
) -> TicketDraft:
    """Ask the model for a `TicketDraft`; one retry on malformed output, then `TaskIntakeError`."""
    people = sorted(p.name for p in session.exec(select(Person)).all() if p.type == "person")
    sprints = [s.name for s in session.exec(select(Sprint).order_by(Sprint.start)).all()][-6:]
    prompt = (
        prompt_env()
        .get_template(INTAKE_TEMPLATE)
        .render(
            today=today.isoformat(),
            fence=secrets.token_hex(6),
            request=re.sub(r"</?\s*request", "", request.strip()),
            people=people,
            sprints=sprints,
            priorities=priorities,
            tags=tags,
        )
    )
    messages: list[dict[str, str]] = [
        {
            "role": "system",
            "content": "You extract ticket drafts. Reply with the JSON object only.",
        },
        {"role": "user", "content": prompt},
    ]
    problem = ""
    for attempt in range(2):
        try:
            result = complete(
                messages,
                purpose="task_intake",
                settings=settings,
                session=session,
                response_format=TicketDraft,
                temperature=0.0,
            )
        except LlmUnavailableError as exc:
            session.commit()  # keep the failed attempts' LlmCall rows
            raise TaskIntakeError(
                f"task create needs a language model: {exc}; nothing was created"
            ) from None
        session.commit()  # the call's cost is recorded whatever happens to the draft
        try:
            return TicketDraft.model_validate_json(_json_text(result.text))
        except ValidationError as exc:
            problem = _first_problem(exc)
        if attempt == 0:
            messages = [
                *messages,
                {"role": "assistant", "content": result.text[:2_000]},
                {
                    "role": "user",
                    "content": f"That was not a valid ticket draft ({problem}). "
                    "Reply again with only the JSON object with the fields asked for.",
                },
            ]
    raise TaskIntakeError(
        f"the model returned an unusable ticket draft twice ({problem}); nothing was created — "
        "rephrase the request or try again"
    )


def match_person(session: Session, who: str) -> Person:
    """The one known person `who` names, by `models.people.match_people`'s rule; several
    matches or none are a `TaskIntakeError` saying so."""
    found = match_people(session, who)
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(sorted(p.name for p in found))
        raise TaskIntakeError(f"{who!r} matches several people ({names}); say which one")
    people = session.exec(select(Person).where(Person.type == "person")).all()
    known = ", ".join(sorted(p.name for p in people)[:20]) or "none stored: run `conductor ingest`"
    raise TaskIntakeError(f"no known person matches {who!r}; known people: {known}")


def resolve_sprint(session: Session, selector: str, today: date) -> Sprint:
    """`current`, `next` (the first sprint starting after today) or a sprint name."""
    wanted = selector.strip().lower()
    if wanted in ("current", "this", "this sprint", "current sprint"):
        found = find_sprint(session, "current", today)
    elif wanted in ("next", "next sprint"):
        found = session.exec(
            select(Sprint)
            .where(Sprint.removed_at.is_(None), Sprint.start > today)  # type: ignore[union-attr,operator]
            .order_by(Sprint.start)
        ).first()
    else:
        try:
            found = find_sprint(session, selector, today)
        except ConductorError as exc:
            raise TaskIntakeError(str(exc)) from None
    if found is None:
        raise TaskIntakeError(f"no {wanted} sprint is stored; run `conductor ingest` first")
    return found


def page_properties(
    mapping: TicketMapping,
    draft: TicketDraft,
    assignee: Person | None,
    sprint: Sprint | None,
    priority: str | None,
    tags: list[str],
) -> dict[str, Any]:
    """The page's properties in Notion's write format, under the mapped property names.

    A field the workspace does not map is an error when the draft sets it (silently dropping
    "3 points" would create a ticket the user did not ask for).
    """
    properties: dict[str, Any] = {mapping.title: {"title": _rich_text(draft.title)}}
    wanted = {
        "description": (draft.description or None, mapping.description),
        "points": (draft.points, mapping.points),
        "assignees": (assignee, mapping.assignees),
        "sprint": (sprint, mapping.sprint),
        "priority": (priority, mapping.priority),
    }
    for field_name, (value, prop) in wanted.items():
        if value is not None and prop is None:
            raise TaskIntakeError(
                f"the tickets data source has no {field_name} property, but the request sets "
                f"one; remove it from the request or map it with CONDUCTOR_NOTION_PROPERTY_MAP"
            )
    if draft.description and mapping.description:
        properties[mapping.description] = {"rich_text": _rich_text(draft.description)}
    if draft.points is not None and mapping.points:
        properties[mapping.points] = _points_value(mapping, draft.points)
    if assignee and mapping.assignees:
        properties[mapping.assignees] = {"people": [{"id": assignee.id}]}
    if sprint and mapping.sprint:
        properties[mapping.sprint] = {"relation": [{"id": sprint.id}]}
    if priority and mapping.priority:
        properties[mapping.priority] = {"select": {"name": priority}}
    if tags and mapping.tags:
        properties[mapping.tags] = {"multi_select": [{"name": tag} for tag in tags]}
    return properties


def _points_value(mapping: TicketMapping, points: float) -> dict[str, Any]:
    """Points in the write format of their property: a number, or a select option ("5")."""
    choice = mapping.choices.get("points")
    kind = choice.type if choice is not None else "number"
    if kind == "select":
        return {"select": {"name": f"{points:g}"}}
    if kind != "number":
        raise TaskIntakeError(
            f"points come from the {kind} property {mapping.points!r}, which Notion computes; "
            "leave the points out of the request"
        )
    return {"number": points}


def _rich_text(content: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": content[:TEXT_LIMIT]}}]


def _options(schema: dict[str, Any], prop: str | None) -> list[str]:
    """Option names of a select/multi-select/status property (empty when unmapped)."""
    if not prop or prop not in schema:
        return []
    spec = schema[prop]
    kind = spec.get("type")
    return [o.get("name", "") for o in (spec.get(kind) or {}).get("options", []) if o.get("name")]


def _option_named(value: str, options: list[str]) -> str | None:
    folded = value.strip().casefold()
    return next((o for o in options if o.casefold() == folded), None)


def _match_option(value: str, options: list[str], what: str) -> str:
    found = _option_named(value, options)
    if found is None:
        raise TaskIntakeError(
            f"{value!r} is not a {what} of the tickets data source; "
            f"choose one of: {', '.join(options) or '(none)'}"
        )
    return found


def _json_text(text: str) -> str:
    """The JSON object in a reply, tolerating a Markdown code fence around it."""
    stripped = text.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", stripped, re.DOTALL)
    return fenced.group(1) if fenced else stripped


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "reply"
    message = str(first.get("msg", "invalid"))
    if first.get("type") == "json_invalid":
        return "the reply is not a JSON object"
    return f"{where}: {message}"[:200]


__all__ = [
    "TaskIntakeError",
    "TicketDraft",
    "TicketProposal",
    "draft_ticket",
    "match_person",
    "page_properties",
    "prepare_ticket",
    "resolve_sprint",
    "submit_ticket",
]
