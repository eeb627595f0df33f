"""Schema → field mapping, and Notion pages → `Ticket`/`Sprint` rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.sprints import Sprint
from models.tickets import CANCELED, COMPLETE, IN_PROGRESS, TODO, Ticket
from tasks.notion.mapping import (
    MappingError,
    SprintMapping,
    TicketMapping,
    detect_sprint_mapping,
    detect_ticket_mapping,
    guess_status_category,
    status_categories,
)
from tasks.notion.property_values import PersonRef
from tasks.notion.rows import MalformedPageError, apply_full_relation, sprint_row, ticket_row
from tests import notion_payloads as n

OWNED_TICKET_COLUMNS = set(Ticket.model_fields) - {"first_seen_at", "removed_at", "updated_at"}
OWNED_SPRINT_COLUMNS = set(Sprint.model_fields) - {"first_seen_at", "removed_at", "updated_at"}


@pytest.fixture
def mapping() -> TicketMapping:
    return detect_ticket_mapping(n.tickets_schema(), {}, n.SPRINTS_DS)


def rename(schema: dict, old: str, new: str) -> dict:
    prop = schema.pop(old)
    prop["name"] = new
    schema[new] = prop
    return schema


# --- detection -----------------------------------------------------------------------------------


def test_realistic_schema_is_detected_field_by_field(mapping):
    assert (
        mapping.title,
        mapping.status,
        mapping.points,
        mapping.assignees,
        mapping.sprint,
        mapping.priority,
        mapping.tags,
        mapping.due,
        mapping.key,
        mapping.description,
    ) == (
        "Task name",
        "Status",
        "Points",
        "Assignee",
        "Sprint",
        "Priority",
        "Tags",
        "Due",
        "ID",
        "Description",
    )
    assert mapping.people_properties == ("Created by",)


@pytest.mark.parametrize(
    "old, new, field",
    [
        ("Points", "Estimate", "points"),
        ("Points", "story points", "points"),
        ("Points", "SP", "points"),
        ("Assignee", "Owner", "assignees"),
        ("Assignee", "Assigned to", "assignees"),
        ("Sprint", "Cycle", "sprint"),
        ("Sprint", "Iteration", "sprint"),
        ("Tags", "Labels", "tags"),
        ("Due", "Deadline", "due"),
        ("Description", "Summary", "description"),
        ("Priority", "P", "priority"),
        ("Status", "State", "status"),
    ],
)
def test_fields_are_detected_by_alternative_names(old, new, field):
    schema = rename(n.tickets_schema(), old, new)
    assert getattr(detect_ticket_mapping(schema, {}), field) == new


def test_detection_ignores_case_and_extra_spaces():
    schema = rename(n.tickets_schema(), "Points", "  STORY   Points ")
    assert detect_ticket_mapping(schema, {}).points == "  STORY   Points "


def test_a_number_with_an_unknown_name_is_not_taken_as_points():
    schema = rename(n.tickets_schema(), "Points", "Budget")
    assert detect_ticket_mapping(schema, {}).points is None


def test_any_status_property_is_used_when_none_is_called_status():
    schema = rename(n.tickets_schema(), "Status", "Workflow")
    assert detect_ticket_mapping(schema, {}).status == "Workflow"


def test_a_select_called_status_is_used_when_there_is_no_status_property():
    schema = n.tickets_schema()
    del schema["Status"]
    schema["Status"] = n.schema_property(
        "Status",
        "select",
        {"options": [{"id": "s1", "name": "Doing", "color": "blue", "description": None}]},
    )
    mapping = detect_ticket_mapping(schema, {})
    assert mapping.status == "Status"
    assert mapping.status_categories == {"Doing": IN_PROGRESS}


def test_sprint_relation_pointing_at_the_sprints_data_source_is_preferred():
    schema = n.tickets_schema()
    del schema["Sprint"]
    schema["Cycle"] = n.relation_schema("Cycle", n.PROJECTS_DS)
    schema["Sprint 🏃"] = n.relation_schema("Sprint 🏃", n.SPRINTS_DS)
    assert detect_ticket_mapping(schema, {}, n.SPRINTS_DS).sprint == "Sprint 🏃"
    assert detect_ticket_mapping(schema, {}).sprint == "Cycle"


def test_override_wins_over_detection():
    schema = n.tickets_schema()
    schema["Estimate"] = n.schema_property("Estimate", "number")
    mapping = detect_ticket_mapping(schema, {"points": "Estimate"})
    assert mapping.points == "Estimate"


def test_override_may_point_points_at_a_formula():
    schema = n.tickets_schema()
    schema["Effort"] = n.schema_property("Effort", "formula", {"expression": "1+2"})
    assert detect_ticket_mapping(schema, {"points": "Effort"}).points == "Effort"


def test_override_naming_a_missing_property_explains_the_fix():
    with pytest.raises(MappingError) as raised:
        detect_ticket_mapping(n.tickets_schema(), {"points": "Story Pts"})
    message = str(raised.value)
    assert "CONDUCTOR_NOTION_PROPERTY_MAP" in message
    assert "'Story Pts'" in message
    assert "Points" in message and "Task name" in message
    assert "\n" not in message


def test_override_of_an_unreadable_type_explains_the_fix():
    with pytest.raises(MappingError, match=r"CONDUCTOR_NOTION_PROPERTY_MAP.*checkbox"):
        detect_ticket_mapping(n.tickets_schema(), {"points": "Reviewed"})


def test_tickets_without_status_name_the_fix():
    schema = n.tickets_schema()
    del schema["Status"]
    with pytest.raises(MappingError) as raised:
        detect_ticket_mapping(schema, {})
    assert "status" in str(raised.value)
    assert "CONDUCTOR_NOTION_PROPERTY_MAP" in str(raised.value)


def test_tickets_without_title_name_the_fix():
    schema = n.tickets_schema()
    del schema["Task name"]
    with pytest.raises(MappingError, match="no title property"):
        detect_ticket_mapping(schema, {})


def test_sprint_mapping_is_detected_with_overrides_for_sprint_fields_only():
    schema = n.sprints_schema()
    assert detect_sprint_mapping(schema, {}) == SprintMapping(
        title="Sprint name", dates="Dates", status="Sprint status"
    )
    overrides = {"sprint_status": "Sprint status", "title": "Task name", "points": "Estimate"}
    assert detect_sprint_mapping(schema, overrides).status == "Sprint status"


def test_sprint_dates_detected_by_alternative_name():
    schema = rename(n.sprints_schema(), "Dates", "Timeline")
    assert detect_sprint_mapping(schema, {}).dates == "Timeline"


def test_bad_sprint_override_names_the_setting():
    with pytest.raises(MappingError, match=r"CONDUCTOR_NOTION_PROPERTY_MAP.*'Window'"):
        detect_sprint_mapping(n.sprints_schema(), {"sprint_dates": "Window"})


# --- status categories ---------------------------------------------------------------------------


def test_status_groups_become_categories(mapping):
    assert mapping.status_categories == {
        "Backlog": TODO,
        "Not started": TODO,
        "In progress": IN_PROGRESS,
        "In review": IN_PROGRESS,
        "Blocked": IN_PROGRESS,
        "Done": COMPLETE,
        "Won't do": CANCELED,  # in the Complete group, but CONDUCTOR_CANCELED_STATUSES wins
    }


def test_group_names_are_matched_case_insensitively():
    schema = n.status_schema()
    for group, name in zip(
        schema["status"]["groups"], ["TODO", "in progress", "DONE"], strict=True
    ):
        group["name"] = name
    by_name, _ = status_categories(schema)
    assert (by_name["Backlog"], by_name["Blocked"], by_name["Done"]) == (
        TODO,
        IN_PROGRESS,
        COMPLETE,
    )


def test_three_unrecognised_groups_follow_notions_fixed_order():
    schema = n.status_schema()
    for group, name in zip(
        schema["status"]["groups"], ["À faire", "En cours", "Terminé"], strict=True
    ):
        group["name"] = name
    by_name, _ = status_categories(schema)
    assert (by_name["Not started"], by_name["In review"], by_name["Done"]) == (
        TODO,
        IN_PROGRESS,
        COMPLETE,
    )


@pytest.mark.parametrize(
    "name, category",
    [
        ("Done", COMPLETE),
        ("Closed", COMPLETE),
        ("Complete", COMPLETE),
        ("Won't do", CANCELED),
        ("Won\u2019t do", CANCELED),  # typographic apostrophe, as macOS types it
        ("In progress", IN_PROGRESS),
        ("Code Review", IN_PROGRESS),
        ("Blocked", IN_PROGRESS),
        ("Doing", IN_PROGRESS),
        ("Backlog", TODO),
        ("Not done", TODO),
        ("Not started", TODO),
        ("Ready", TODO),
    ],
)
def test_select_status_names_fall_back_to_heuristics(name, category):
    assert guess_status_category(name) == category


def test_status_option_renamed_after_detection_keeps_its_category(mapping):
    properties = n.ticket_properties()
    properties["Status"] = n.status("Shipped 🎉", "done-id")
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert (parsed.row["status"], parsed.row["status_category"]) == ("Shipped 🎉", COMPLETE)


# --- ticket rows ---------------------------------------------------------------------------------


def test_ticket_row_has_exactly_the_ticket_columns(mapping):
    parsed = ticket_row(n.ticket_page(), mapping, n.TICKETS_DS)
    assert set(parsed.row) == OWNED_TICKET_COLUMNS


def test_ticket_row_reads_every_mapped_field(mapping):
    page = n.ticket_page()
    parsed = ticket_row(page, mapping, n.TICKETS_DS)
    row = parsed.row
    assert row["id"] == n.TICKET_PAGE_ID
    assert row["data_source_id"] == n.TICKETS_DS
    assert row["key"] == "ENG-42"
    assert row["title"] == "Fix login redirect loop"
    assert row["description"] == "Users bounce between /login"
    assert (row["status"], row["status_category"]) == ("In progress", IN_PROGRESS)
    assert row["points"] == 3.0
    assert row["sprint_id"] == n.SPRINT_23
    assert row["priority"] == "P0"
    assert row["tags"] == ["backend", "auth"]
    assert (row["due_start"], row["due_end"]) == (date(2026, 3, 13), None)
    assert row["url"] == page["url"]
    assert row["created_by_id"] == n.ADA_ID
    assert row["created_time"] == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert row["last_edited_time"] == datetime(2026, 3, 4, 16, 41, tzinfo=UTC)
    assert row["raw"] is page["properties"]
    assert row["parse_errors"] == []
    assert len(row["content_hash"]) == 64
    assert parsed.assignee_ids == [n.ADA_ID, n.GRACE_ID]
    assert parsed.relation_overflow == []
    assert parsed.removed is False


def test_people_met_on_the_page_are_collected_once_each(mapping):
    properties = n.ticket_properties()
    properties["Description"] = n.rich_text(n.text_item("ask "), n.user_mention(n.BOT))
    properties["Created by"] = n.created_by(n.GRACE)
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert [p.id for p in parsed.people] == [n.ADA_ID, n.GRACE_ID, n.BOT_ID]
    assert parsed.people[0] == PersonRef(
        n.ADA_ID, "Ada Lovelace", "ada@example.com", "person", n.ADA["avatar_url"]
    )


def test_nameless_page_creator_is_not_offered_as_a_person(mapping):
    properties = n.ticket_properties()
    properties["Assignee"] = n.people()
    properties["Created by"] = n.created_by(n.partial_user(n.ADA_ID))
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert parsed.people == []
    assert parsed.row["created_by_id"] == n.ADA_ID


def test_page_with_one_malformed_property_still_yields_a_row(mapping):
    properties = n.ticket_properties()
    properties["Points"] = n.number("three")
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert parsed.row["points"] is None
    assert parsed.row["title"] == "Fix login redirect loop"
    assert parsed.row["status"] == "In progress"
    assert parsed.row["parse_errors"] == [
        {"property": "Points", "type": "number", "error": "expected a number or null, got str"}
    ]


def test_mapped_property_missing_from_page_is_recorded(mapping):
    properties = n.ticket_properties()
    del properties["Priority"]
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert parsed.row["priority"] is None
    assert [e["property"] for e in parsed.row["parse_errors"]] == ["Priority"]


def test_formula_points_of_the_wrong_result_type_are_recorded():
    schema = n.tickets_schema()
    schema["Effort"] = n.schema_property("Effort", "formula")
    mapping = detect_ticket_mapping(schema, {"points": "Effort"})
    properties = n.ticket_properties()
    properties["Effort"] = n.formula("string", "large")
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert parsed.row["points"] is None
    assert parsed.row["parse_errors"][0]["property"] == "Effort"
    properties["Effort"] = n.formula("number", 8)
    assert ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS).row["points"] == 8.0


def test_empty_values_leave_columns_empty_without_errors(mapping):
    properties = n.ticket_properties()
    properties.update(
        {
            "Task name": {"id": "title", "type": "title", "title": []},
            "Status": n.status(None),
            "Assignee": n.people(),
            "Sprint": n.relation(),
            "Points": n.number(None),
            "Priority": n.select(None),
            "Tags": n.multi_select(),
            "Due": n.date(None),
            "ID": n.unique_id(None),
            "Description": n.rich_text(),
        }
    )
    row = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS).row
    assert row["parse_errors"] == []
    assert (row["title"], row["description"], row["key"]) == ("", "", None)
    assert (row["status"], row["status_category"], row["points"], row["sprint_id"]) == (
        None,
        None,
        None,
        None,
    )
    assert (row["priority"], row["tags"], row["due_start"]) == (None, [], None)


@pytest.mark.parametrize(
    "hostile",
    [
        "<img src=x onerror=alert(1)>",
        "line\nbreak\ttab\x00nul\x07bell",
        "x" * 3000,
        "🔥🐛 emoji 👩🏽‍💻",
        "תיקון באג בכניסה",
        "\u202eevil\u202c",
    ],
)
def test_hostile_titles_are_kept_verbatim(mapping, hostile):
    properties = n.ticket_properties()
    properties["Task name"] = n.title(hostile)
    assert ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS).row["title"] == hostile


def test_trashed_or_archived_pages_are_flagged_removed(mapping):
    assert ticket_row(n.ticket_page(in_trash=True), mapping, n.TICKETS_DS).removed is True
    assert ticket_row(n.ticket_page(archived=True), mapping, n.TICKETS_DS).removed is True


def test_page_without_id_cannot_become_a_row(mapping):
    with pytest.raises(MalformedPageError):
        ticket_row(n.ticket_page(id=None), mapping, n.TICKETS_DS)
    with pytest.raises(MalformedPageError):
        ticket_row(n.ticket_page(properties="oops"), mapping, n.TICKETS_DS)


def test_due_date_time_takes_its_day_in_the_team_zone(mapping):
    properties = n.ticket_properties()
    properties["Due"] = n.date("2026-03-13T23:30:00.000Z")
    page = n.ticket_page(properties)
    assert ticket_row(page, mapping, n.TICKETS_DS).row["due_start"] == date(2026, 3, 13)
    berlin = ticket_row(page, mapping, n.TICKETS_DS, tz=ZoneInfo("Europe/Berlin"))
    assert berlin.row["due_start"] == date(2026, 3, 14)


# --- content hash --------------------------------------------------------------------------------


def test_content_hash_is_stable_across_parses(mapping):
    first = ticket_row(n.ticket_page(), mapping, n.TICKETS_DS).row["content_hash"]
    second = ticket_row(n.ticket_page(), mapping, n.TICKETS_DS).row["content_hash"]
    assert first == second


def test_content_hash_changes_when_points_change(mapping):
    properties = n.ticket_properties()
    before = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS).row["content_hash"]
    properties["Points"] = n.number(5)
    after = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS).row["content_hash"]
    assert before != after


def test_content_hash_ignores_edit_time_and_unmapped_properties(mapping):
    properties = n.ticket_properties()
    before = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS).row["content_hash"]
    properties["Reviewed"] = n.checkbox(True)
    page = n.ticket_page(properties, last_edited_time="2026-03-05T08:00:00.000Z")
    assert ticket_row(page, mapping, n.TICKETS_DS).row["content_hash"] == before


def test_content_hash_ignores_assignee_order_but_not_assignees(mapping):
    properties = n.ticket_properties()
    before = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS).row["content_hash"]
    properties["Assignee"] = n.people(n.GRACE, n.ADA)
    swapped = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert swapped.row["content_hash"] == before
    assert swapped.assignee_ids == [n.GRACE_ID, n.ADA_ID]
    properties["Assignee"] = n.people(n.GRACE)
    assert (
        ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS).row["content_hash"] != before
    )


# --- relation overflow ---------------------------------------------------------------------------


def test_relation_with_has_more_is_flagged_for_a_full_fetch(mapping):
    properties = n.ticket_properties()
    properties["Sprint"] = n.relation(n.SPRINT_23, has_more=True)
    properties["Assignee"] = n.people(n.ADA, has_more=True)
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert parsed.relation_overflow == ["Sprint", "Assignee"]


def test_full_relation_completes_the_parsed_ticket_in_place(mapping):
    properties = n.ticket_properties()
    properties["Sprint"] = n.relation(has_more=True)
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    truncated_hash = parsed.row["content_hash"]
    apply_full_relation(parsed, "Sprint", [n.SPRINT_24.replace("-", "")])
    assert parsed.row["sprint_id"] == n.SPRINT_24
    assert parsed.relation_overflow == []
    assert parsed.row["content_hash"] != truncated_hash
    properties["Sprint"] = n.relation(n.SPRINT_24)
    direct = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert parsed.row["content_hash"] == direct.row["content_hash"]


def test_full_people_list_replaces_assignees(mapping):
    properties = n.ticket_properties()
    properties["Assignee"] = n.people(n.ADA, has_more=True)
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert apply_full_relation(parsed, "Assignee", [n.ADA_ID, n.GRACE_ID]) is parsed
    assert parsed.assignee_ids == [n.ADA_ID, n.GRACE_ID]
    complete = ticket_row(n.ticket_page(), mapping, n.TICKETS_DS)
    assert parsed.row["content_hash"] == complete.row["content_hash"]


# --- sprint rows ---------------------------------------------------------------------------------


def test_sprint_row_has_exactly_the_sprint_columns():
    mapping = detect_sprint_mapping(n.sprints_schema(), {"sprint_status": "Sprint status"})
    parsed = sprint_row(n.sprint_page(), mapping, n.SPRINTS_DS, ZoneInfo("UTC"))
    assert set(parsed.row) == OWNED_SPRINT_COLUMNS
    assert parsed.row["name"] == "Sprint 23"
    assert (parsed.row["start"], parsed.row["end"]) == (date(2026, 3, 2), date(2026, 3, 13))
    assert parsed.row["status"] == "Current"
    assert parsed.row["parse_errors"] == []
    assert parsed.removed is False


def test_sprint_dates_with_times_are_days_in_the_team_zone():
    mapping = detect_sprint_mapping(n.sprints_schema(), {})
    page = n.sprint_page()
    page["properties"]["Dates"] = n.date("2026-03-01T23:30:00.000Z", "2026-03-13T16:00:00.000Z")
    berlin = sprint_row(page, mapping, n.SPRINTS_DS, ZoneInfo("Europe/Berlin")).row
    assert (berlin["start"], berlin["end"]) == (date(2026, 3, 2), date(2026, 3, 13))
    utc = sprint_row(page, mapping, n.SPRINTS_DS, ZoneInfo("UTC")).row
    assert utc["start"] == date(2026, 3, 1)


def test_sprint_with_malformed_dates_still_yields_a_row():
    mapping = detect_sprint_mapping(n.sprints_schema(), {})
    page = n.sprint_page()
    page["properties"]["Dates"] = n.date("sometime in March")
    parsed = sprint_row(page, mapping, n.SPRINTS_DS, ZoneInfo("UTC"))
    assert parsed.row["name"] == "Sprint 23"
    assert parsed.row["start"] is None
    assert parsed.row["parse_errors"][0]["property"] == "Dates"


# --- robustness ----------------------------------------------------------------------------------


def test_property_whose_type_changed_since_detection_is_recorded_not_misread(mapping):
    properties = n.ticket_properties()
    properties["Assignee"] = n.rich_text(n.text_item("Ada"))
    properties["Sprint"] = n.number(23)
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert (parsed.assignee_ids, parsed.row["sprint_id"]) == ([], None)
    assert [(e["property"], e["type"]) for e in parsed.row["parse_errors"]] == [
        ("Sprint", "number"),
        ("Assignee", "rich_text"),
    ]


def test_malformed_sprints_data_source_id_is_a_mapping_error():
    with pytest.raises(MappingError, match="CONDUCTOR_NOTION_SPRINTS_DATABASE_ID"):
        detect_ticket_mapping(n.tickets_schema(), {}, "not-an-id")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["type", "id", "name", "start", "end", "time_zone", "number", "people"]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    prop_name=st.sampled_from(sorted(n.ticket_properties())),
    kind=st.sampled_from(
        [
            "title",
            "rich_text",
            "number",
            "status",
            "select",
            "multi_select",
            "people",
            "relation",
            "date",
            "unique_id",
            "formula",
            "rollup",
            "created_by",
            "files",
        ]
    ),
    payload=_json,
)
def test_any_json_in_any_property_still_yields_a_row(prop_name, kind, payload):
    mapping = detect_ticket_mapping(n.tickets_schema(), {}, n.SPRINTS_DS)
    properties = n.ticket_properties()
    properties[prop_name] = {"id": "x", "type": kind, kind: payload}
    parsed = ticket_row(n.ticket_page(properties), mapping, n.TICKETS_DS)
    assert set(parsed.row) == OWNED_TICKET_COLUMNS
    assert len(parsed.row["content_hash"]) == 64
