"""A second sample workspace, laid out as Notion's own "Projects & Sprints" templates.

Why: the bundled sample uses the names and types Conductor was written against ("Points" a
number, "Status" with our own options). Teams who start from Notion's templates get other
names and, worse, other types: story points are a *select* of "1", "2", "3"…, the sprint's
status is a status property of Current/Next/Future/Last/Past, "Won't do" sits in the Complete
group. This layout is what proves Conductor ingests such a workspace with no property map.

It is the sample workspace (same seed → same tickets, sprints, people, history and ids)
with its schemas and values rewritten, so every generator and every statistic of
`sandbox.sample` carries over. `status_type="select"` turns the tickets' Status into a plain
select without groups, as older workspaces have it.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from sandbox.records import (
    COMPLETE_GROUP,
    IN_PROGRESS_GROUP,
    TODO_GROUP,
    DataSource,
    Option,
    PropertySchema,
    StatusGroup,
    _new_id,
)
from sandbox.sample import build_sample_workspace
from sandbox.workspace import Workspace

__all__ = ["LAYOUTS", "TEMPLATE_TICKET_STATUSES", "build_template_workspace", "build_workspace"]

#: `--layout` names of the sandbox CLI and the `layout=` of the tests' sandbox marker.
LAYOUTS = ("sample", "template", "template-select")

#: The template's ticket statuses by group; the sample's statuses map onto them one to one.
TEMPLATE_TICKET_STATUSES: dict[str, tuple[str, ...]] = {
    TODO_GROUP: ("Backlog", "Not started"),
    IN_PROGRESS_GROUP: ("In progress", "In review", "Blocked"),
    COMPLETE_GROUP: ("Done", "Won't do"),
}
_TICKET_STATUS = {
    "Backlog": "Backlog",
    "Todo": "Not started",
    "In Progress": "In progress",
    "In Review": "In review",
    "Blocked": "Blocked",
    "Done": "Done",
    "Won't Do": "Won't do",
}
_SPRINT_STATUSES: dict[str, tuple[str, ...]] = {
    TODO_GROUP: ("Future", "Next"),
    IN_PROGRESS_GROUP: ("Current",),
    COMPLETE_GROUP: ("Last", "Past"),
}
#: Story point options, as the template's select has them (as text, in this order).
POINT_OPTIONS = ("1", "2", "3", "5", "8", "13")
_PRIORITY = {"P0": "High", "P1": "High", "P2": "Medium", "P3": "Low"}
_COLOR = {"To-do": "gray", "In progress": "blue", "Complete": "green"}

#: Sample property name → template property name (values unchanged unless rewritten below).
_TICKET_NAMES = {
    "Name": "Task name",
    "Key": "Task ID",
    "Status": "Status",
    "Points": "Story points",
    "Assignee": "Assignee",
    "Sprint": "Sprint",
    "Priority": "Priority",
    "Tags": "Tags",
    "Due": "Due date",
    "Description": "Summary",
    "Related": "Blocked by",
    "Created by": "Created by",
}
_SPRINT_NAMES = {"Name": "Sprint name", "Dates": "Dates", "Status": "Sprint status"}


def build_workspace(
    layout: str = "sample", today: date | None = None, n_tickets: int = 400, seed: int = 7
) -> Workspace:
    """The workspace of one of `LAYOUTS`."""
    if layout == "sample":
        return build_sample_workspace(today, n_tickets=n_tickets, seed=seed)
    if layout == "template":
        return build_template_workspace(today, n_tickets, seed, "status")
    if layout == "template-select":
        return build_template_workspace(today, n_tickets, seed, "select")
    raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def build_template_workspace(
    today: date | None = None, n_tickets: int = 400, seed: int = 7, status_type: str = "status"
) -> Workspace:
    """The sample workspace for `today`, `n_tickets`, `seed`, in the template's layout.

    `status_type` is `"status"` (groups To-do / In progress / Complete, "Won't do" in
    Complete) or `"select"` (the same option names, no groups).
    """
    if status_type not in ("status", "select"):
        raise ValueError(f"status_type must be 'status' or 'select', not {status_type!r}")
    workspace = build_sample_workspace(today, n_tickets=n_tickets, seed=seed)
    rng = random.Random(f"{seed}:template")
    _rewrite_tickets(workspace.tickets_data_source, rng, status_type)
    _rewrite_sprints(workspace.sprints_data_source, rng)
    workspace.tickets_database.title = workspace.tickets_data_source.title = "Tasks"
    return workspace


def _options(rng: random.Random, groups: dict[str, tuple[str, ...]]) -> list[Option]:
    return [
        Option(_new_id(rng), name, _COLOR[group])
        for group, names in groups.items()
        for name in names
    ]


def _groups(rng: random.Random, groups: dict[str, tuple[str, ...]]) -> list[StatusGroup]:
    return [StatusGroup(_new_id(rng), g, _COLOR[g], names) for g, names in groups.items()]


def _renamed(schema: dict[str, PropertySchema], names: dict[str, str]) -> dict[str, PropertySchema]:
    renamed = {}
    for old, prop in schema.items():
        prop.name = names.get(old, old)
        renamed[prop.name] = prop
    return renamed


def _rewrite_tickets(source: DataSource, rng: random.Random, status_type: str) -> None:
    schema = _renamed(source.properties, _TICKET_NAMES)
    status = schema["Status"]
    status.type = status_type
    status.options = _options(rng, TEMPLATE_TICKET_STATUSES)
    status.groups = _groups(rng, TEMPLATE_TICKET_STATUSES) if status_type == "status" else []
    points = schema["Story points"]
    points.type, points.description = "select", None
    points.options = [Option(_new_id(rng), n, "default") for n in POINT_OPTIONS]
    priority = schema["Priority"]
    priority.options = [
        Option(_new_id(rng), name, color)
        for name, color in (("High", "red"), ("Medium", "yellow"), ("Low", "gray"))
    ]
    schema["Task ID"].prefix = "TASK"
    source.properties = schema
    for page in source.pages:
        values: dict[str, Any] = {_TICKET_NAMES.get(k, k): v for k, v in page.values.items()}
        values["Status"] = _TICKET_STATUS[values["Status"]]
        if "Story points" in values:
            values["Story points"] = str(values["Story points"])
        if "Priority" in values:
            values["Priority"] = _PRIORITY[values["Priority"]]
        page.values = values


def _rewrite_sprints(source: DataSource, rng: random.Random) -> None:
    schema = _renamed(source.properties, _SPRINT_NAMES)
    status = schema["Sprint status"]
    status.options = _options(rng, _SPRINT_STATUSES)
    status.groups = _groups(rng, _SPRINT_STATUSES)
    source.properties = schema
    pages = sorted(source.pages, key=lambda p: p.values["Dates"].start)
    current = next(i for i, p in enumerate(pages) if p.values["Status"] == "Active")
    for index, page in enumerate(pages):
        values = {_SPRINT_NAMES.get(k, k): v for k, v in page.values.items()}
        offset = index - current
        values["Sprint status"] = (
            "Current"
            if offset == 0
            else "Next"
            if offset == 1
            else "Future"
            if offset > 1
            else "Last"
            if offset == -1
            else "Past"
        )
        page.values = values
