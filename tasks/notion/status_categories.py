"""What each status means: todo, in progress, complete or canceled, and why we think so.

Why a module of its own: the category of a status decides what counts as completed work, so
the rule has to be one rule, explainable by `conductor doctor`, and used alike by detection
(once per sync, for every option in the schema) and by `rows.ticket_row` (for an option
added after detection). In order of precedence:

1. `CONDUCTOR_STATUS_CATEGORIES` — the team said so, for this status name;
2. `CONDUCTOR_CANCELED_STATUSES` — the name means abandoned, whatever group it sits in
   (Notion's templates put "Won't do" in the Complete group, and abandoned work is not done);
3. the group of a status property (To-do / In progress / Complete);
4. a guess from the name, for select-type statuses (no groups) and options outside any group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.settings import DEFAULT_CANCELED_STATUSES, Settings
from models.tickets import CANCELED, COMPLETE, IN_PROGRESS, TODO, fold_status

__all__ = [
    "SOURCE_CANCELED",
    "SOURCE_GROUP",
    "SOURCE_GUESS",
    "SOURCE_OVERRIDE",
    "StatusCategory",
    "StatusRules",
    "explain_status_categories",
    "guess_status_category",
    "status_categories",
]

SOURCE_OVERRIDE = "CONDUCTOR_STATUS_CATEGORIES"
SOURCE_CANCELED = "CONDUCTOR_CANCELED_STATUSES"
SOURCE_GROUP = "group"
SOURCE_GUESS = "name guess"


def fold(name: str) -> str:
    """Case-, space- and apostrophe-insensitive form of a status name: `fold_status` (the
    metrics' rule, which SQL applies too), with case folded fully and runs of spaces collapsed,
    which only Python can do cheaply."""
    return " ".join(fold_status(name).casefold().split())


@dataclass(frozen=True, slots=True)
class StatusRules:
    """The team's settings about statuses, folded for lookup (see the module docstring)."""

    overrides: Mapping[str, str] = field(default_factory=dict)
    canceled: frozenset[str] = frozenset(fold(n) for n in DEFAULT_CANCELED_STATUSES)

    @classmethod
    def from_settings(cls, settings: Settings) -> StatusRules:
        return cls(
            overrides={fold(k): v for k, v in settings.status_categories.items()},
            canceled=frozenset(fold(n) for n in settings.canceled_statuses),
        )

    def decide(self, name: str, group_category: str | None = None) -> tuple[str, str]:
        """`(category, source)` of the status `name`, whose group (if any) says `group_category`."""
        folded = fold(name)
        if folded in self.overrides:
            return self.overrides[folded], SOURCE_OVERRIDE
        if folded in self.canceled:
            return CANCELED, SOURCE_CANCELED
        if group_category is not None:
            return group_category, SOURCE_GROUP
        return guess_status_category(name), SOURCE_GUESS


DEFAULT_RULES = StatusRules()


@dataclass(frozen=True, slots=True)
class StatusCategory:
    """One status option, the category in force, and where that category came from."""

    name: str
    option_id: str | None
    category: str
    source: str


# Words, matched as whole words/phrases. Canceled first: "won't fix" must not read as "fix"
# work, and "not done" is handled by the negation check before any of these.
_CANCELED_WORDS = (
    "won't do",
    "wont do",
    "won't fix",
    "wont fix",
    "wontfix",
    "canceled",
    "cancelled",
    "duplicate",
    "obsolete",
    "abandoned",
    "rejected",
    "declined",
)
# "Archived" reads as complete: on a select-based board it is where finished cards are put
# away. A team that archives abandoned work too maps it with CONDUCTOR_STATUS_CATEGORIES.
_COMPLETE_WORDS = (
    "done",
    "closed",
    "complete",
    "completed",
    "shipped",
    "released",
    "resolved",
    "deployed",
    "merged",
    "live",
    "finished",
    "delivered",
    "archived",
)
_IN_PROGRESS_WORDS = (
    "in progress",
    "review",
    "blocked",
    "doing",
    "in dev",
    "testing",
    "qa",
    "started",
    "wip",
)


def _words(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w'])")


_CANCELED_RE = _words(_CANCELED_WORDS)
_COMPLETE_RE = _words(_COMPLETE_WORDS)
_IN_PROGRESS_RE = _words(_IN_PROGRESS_WORDS)


def guess_status_category(name: str) -> str:
    """Category of a status known only by name (a select-based status, or an unknown option).

    Won't do/Won't fix/Canceled/Duplicate/Obsolete → canceled; Done/Closed/Shipped/Released/
    Deployed/Merged/Live/Finished/Archived → complete; In progress/Review/Blocked/Doing →
    in progress; anything else, and anything negated ("Not done", "Not started"), → to do.
    """
    folded = fold(name)
    if folded.startswith("not ") or " not " in folded:
        return TODO
    if _CANCELED_RE.search(folded):
        return CANCELED
    if _COMPLETE_RE.search(folded):
        return COMPLETE
    if _IN_PROGRESS_RE.search(folded):
        return IN_PROGRESS
    return TODO


_GROUP_CATEGORIES = {
    "to-do": TODO,
    "to do": TODO,
    "todo": TODO,
    "not started": TODO,
    "in progress": IN_PROGRESS,
    "complete": COMPLETE,
    "completed": COMPLETE,
    "done": COMPLETE,
}


def _group_categories(config: Mapping[str, Any]) -> dict[str, str]:
    """Option id → category from a status property's groups.

    Group names are matched case-insensitively; three unrecognised groups (a localised
    workspace) are taken in Notion's fixed order To-do, In progress, Complete.
    """
    groups = [g for g in config.get("groups") or () if isinstance(g, dict)]
    categories: list[str | None] = [
        _GROUP_CATEGORIES.get(fold(str(g.get("name", "")))) for g in groups
    ]
    if len(groups) == 3 and None in categories:
        categories = [TODO, IN_PROGRESS, COMPLETE]
    by_id: dict[str, str] = {}
    for group, category in zip(groups, categories, strict=True):
        if category is not None:
            for option_id in group.get("option_ids") or ():
                by_id[str(option_id)] = category
    return by_id


def explain_status_categories(
    status_property: Mapping[str, Any], rules: StatusRules = DEFAULT_RULES
) -> list[StatusCategory]:
    """Every option of a status or select schema property with its category and its source."""
    kind = status_property.get("type")
    config = status_property.get(kind) if isinstance(kind, str) else None
    if not isinstance(config, dict):
        return []
    by_group = _group_categories(config) if kind == "status" else {}
    explained = []
    for option in config.get("options") or ():
        if not isinstance(option, dict) or not isinstance(option.get("name"), str):
            continue
        option_id = None if option.get("id") is None else str(option["id"])
        category, source = rules.decide(option["name"], by_group.get(option_id or ""))
        explained.append(StatusCategory(option["name"], option_id, category, source))
    return explained


def status_categories(
    status_property: Mapping[str, Any], rules: StatusRules = DEFAULT_RULES
) -> tuple[dict[str, str], dict[str, str]]:
    """`(name → category, option id → category)` for a status or select schema property."""
    explained = explain_status_categories(status_property, rules)
    by_name = {s.name: s.category for s in explained}
    by_id = {s.option_id: s.category for s in explained if s.option_id is not None}
    return by_name, by_id
