"""Parsers for each Notion page property type, fed the JSON Notion's API reference documents."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.notion.properties import parse_formula, parse_property, parse_rollup
from tasks.notion.property_options import (
    parse_checkbox,
    parse_multi_select,
    parse_number,
    parse_select,
    parse_status,
    parse_unique_id,
)
from tasks.notion.property_text import (
    parse_created_by,
    parse_created_time,
    parse_date,
    parse_email,
    parse_files,
    parse_last_edited_by,
    parse_last_edited_time,
    parse_mentioned_people,
    parse_people,
    parse_phone_number,
    parse_relation,
    parse_rich_text,
    parse_title,
    parse_url,
)
from tasks.notion.property_values import (
    DateValue,
    PersonRef,
    PropertyParseError,
    RelationValue,
    StatusValue,
)
from tests import notion_payloads as n

# --- title and rich text -------------------------------------------------------------------------


def test_title_joins_plain_text_of_all_segments():
    prop = n.title("", n.text_item("Fix "), n.text_item("login", "https://x.test"))
    assert parse_title(prop) == "Fix login"


def test_empty_title_is_empty_string():
    assert parse_title({"id": "title", "type": "title", "title": []}) == ""


def test_title_without_plain_text_falls_back_to_text_content():
    prop = {"id": "title", "type": "title", "title": [{"type": "text", "text": {"content": "Hi"}}]}
    assert parse_title(prop) == "Hi"


def test_rich_text_includes_mentions_and_equations_as_notion_renders_them():
    prop = n.rich_text(
        n.text_item("Ask "),
        n.user_mention(n.ADA),
        n.text_item(" before "),
        n.date_mention("2026-03-13"),
        n.text_item(": "),
        n.equation_item("E = mc^2"),
    )
    assert parse_rich_text(prop) == "Ask @Ada Lovelace before 2026-03-13: E = mc^2"


def test_rich_text_keeps_hostile_text_verbatim():
    hostile = "<script>alert(1)</script>\x00\x1b[31m שלום 🚀\u202e"
    assert parse_rich_text(n.rich_text(n.text_item(hostile))) == hostile


def test_mentioned_people_are_read_from_user_mentions():
    prop = n.rich_text(n.text_item("cc "), n.user_mention(n.ADA), n.date_mention("2026-03-13"))
    assert parse_mentioned_people(prop) == [
        PersonRef(
            id=n.ADA_ID,
            name="Ada Lovelace",
            email="ada@example.com",
            type="person",
            avatar_url=n.ADA["avatar_url"],
        )
    ]


def test_rich_text_that_is_not_a_list_is_a_parse_error():
    with pytest.raises(PropertyParseError) as raised:
        parse_rich_text({"id": "x", "type": "rich_text", "rich_text": "plain string"})
    assert raised.value.property_type == "rich_text"


def test_title_parser_rejects_a_rich_text_property():
    with pytest.raises(PropertyParseError, match="type 'rich_text'"):
        parse_title(n.rich_text(n.text_item("x")))


# --- number, checkbox, url, email, phone ---------------------------------------------------------


def test_number_is_a_float():
    assert parse_number(n.number(3)) == 3.0
    assert isinstance(parse_number(n.number(3)), float)
    assert parse_number(n.number(0.5)) == 0.5


def test_number_without_value_is_none():
    assert parse_number(n.number(None)) is None


@pytest.mark.parametrize("bad", ["3", True, [3], {"value": 3}])
def test_number_of_wrong_type_is_a_parse_error(bad):
    with pytest.raises(PropertyParseError) as raised:
        parse_number(n.number(bad))
    assert raised.value.property_type == "number"


def test_checkbox_is_a_bool():
    assert parse_checkbox(n.checkbox(True)) is True
    assert parse_checkbox(n.checkbox(False)) is False


def test_checkbox_that_is_not_a_bool_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_checkbox(n.checkbox("yes"))


def test_url_is_text_or_none():
    assert parse_url(n.url("https://example.com/a?b=1")) == "https://example.com/a?b=1"
    assert parse_url(n.url(None)) is None


def test_email_is_text_or_none():
    assert parse_email(n.email("ada@example.com")) == "ada@example.com"
    assert parse_email(n.email(None)) is None


def test_phone_number_is_kept_as_typed():
    assert parse_phone_number(n.phone_number("+49 (30) 1234-567")) == "+49 (30) 1234-567"
    assert parse_phone_number(n.phone_number(None)) is None


def test_url_of_wrong_type_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_url(n.url(42))


# --- select, multi_select, status ----------------------------------------------------------------


def test_select_is_the_option_name():
    assert parse_select(n.select("P0")) == "P0"


def test_select_without_value_is_none():
    assert parse_select(n.select(None)) is None


def test_select_option_without_name_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_select({"id": "x", "type": "select", "select": {"id": "o1", "color": "red"}})


def test_multi_select_keeps_page_order():
    assert parse_multi_select(n.multi_select("backend", "auth", "🔥 hot")) == [
        "backend",
        "auth",
        "🔥 hot",
    ]


def test_multi_select_empty_is_empty_list():
    assert parse_multi_select(n.multi_select()) == []


def test_multi_select_that_is_not_a_list_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_multi_select({"id": "x", "type": "multi_select", "multi_select": {"name": "a"}})


def test_status_keeps_option_id_name_and_color():
    assert parse_status(n.status("In progress", "in-progress-id")) == StatusValue(
        id="in-progress-id", name="In progress", color="blue"
    )


def test_status_without_value_is_none():
    assert parse_status(n.status(None)) is None


def test_status_parser_rejects_a_select_property():
    with pytest.raises(PropertyParseError) as raised:
        parse_status(n.select("Done"))
    assert raised.value.property_type == "status"
    assert "select" in raised.value.message


# --- date ----------------------------------------------------------------------------------------


def test_date_only_strings_stay_dates():
    assert parse_date(n.date("2026-03-02", "2026-03-13")) == DateValue(
        start=date(2026, 3, 2), end=date(2026, 3, 13), time_zone=None
    )


def test_date_time_with_offset_is_aware():
    value = parse_date(n.date("2026-03-02T09:30:00.000+01:00"))
    assert value is not None
    assert value.start == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert value.start.utcoffset() == timedelta(hours=1)
    assert value.end is None


def test_date_time_in_utc_with_z_suffix_is_aware_utc():
    value = parse_date(n.date("2026-03-02T09:30:00.000Z"))
    assert value is not None and value.start == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_date_time_zone_is_applied_to_naive_times():
    value = parse_date(n.date("2026-03-02T09:30:00.000", time_zone="Europe/Berlin"))
    assert value is not None
    assert value.start == datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert value.time_zone == "Europe/Berlin"


def test_date_time_zone_converts_times_that_carry_an_offset():
    value = parse_date(n.date("2026-03-02T08:30:00.000+00:00", time_zone="America/New_York"))
    assert value is not None
    assert value.start.tzinfo == ZoneInfo("America/New_York")
    assert value.start.hour == 3
    assert value.start == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def test_naive_date_time_without_time_zone_is_taken_as_utc():
    value = parse_date(n.date("2026-03-02T09:30:00"))
    assert value is not None and value.start == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_date_without_value_is_none():
    assert parse_date(n.date(None)) is None


@pytest.mark.parametrize(
    "bad_date",
    [
        {"start": "next tuesday", "end": None, "time_zone": None},
        {"start": "2026-02-30", "end": None, "time_zone": None},
        {"start": None, "end": None, "time_zone": None},
        {"start": "2026-03-02", "end": 20260313, "time_zone": None},
        {"start": "2026-03-02T09:30", "end": None, "time_zone": "Mars/Olympus"},
        "2026-03-02",
    ],
)
def test_bad_date_is_a_parse_error(bad_date):
    with pytest.raises(PropertyParseError) as raised:
        parse_date({"id": "x", "type": "date", "date": bad_date})
    assert raised.value.property_type == "date"


# --- people, created_by, last_edited_by ----------------------------------------------------------


def test_people_keep_order_and_user_details():
    assert parse_people(n.people(n.ADA, n.GRACE, n.BOT)) == [
        PersonRef(n.ADA_ID, "Ada Lovelace", "ada@example.com", "person", n.ADA["avatar_url"]),
        PersonRef(n.GRACE_ID, "Grace Hopper", None, "person", None),
        PersonRef(n.BOT_ID, "Conductor", None, "bot", None),
    ]


def test_people_empty_is_empty_list():
    assert parse_people(n.people()) == []


def test_people_may_be_partial_users_or_groups():
    group = {"object": "group", "id": "a1b2c3d4-0000-4000-8000-000000000001", "name": "Platform"}
    parsed = parse_people(n.people(n.partial_user(n.ADA_ID), group))
    assert parsed == [
        PersonRef(n.ADA_ID, None, None, None, None),
        PersonRef("a1b2c3d4-0000-4000-8000-000000000001", "Platform", None, "group", None),
    ]


def test_person_without_id_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_people(n.people({"object": "user", "name": "Nobody"}))


def test_created_by_is_a_person_ref():
    assert parse_created_by(n.created_by(n.ADA)).email == "ada@example.com"


def test_last_edited_by_is_a_person_ref():
    assert parse_last_edited_by(n.last_edited_by(n.BOT)) == PersonRef(
        n.BOT_ID, "Conductor", None, "bot", None
    )


def test_created_by_that_is_not_a_user_object_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_created_by({"id": "x", "type": "created_by", "created_by": n.ADA_ID})


# --- relation ------------------------------------------------------------------------------------


def test_relation_lists_page_ids_and_has_more():
    assert parse_relation(n.relation(n.SPRINT_23, n.SPRINT_24)) == RelationValue(
        ids=(n.SPRINT_23, n.SPRINT_24), has_more=False
    )


def test_relation_ids_are_dashed_and_lowercase():
    compact = n.SPRINT_23.replace("-", "").upper()
    assert parse_relation(n.relation(compact)).ids == (n.SPRINT_23,)


def test_relation_over_25_pages_reports_has_more():
    assert parse_relation(n.relation(n.SPRINT_23, has_more=True)).has_more is True


def test_relation_without_has_more_key_means_complete():
    prop = n.relation(n.SPRINT_23)
    del prop["has_more"]
    assert parse_relation(prop).has_more is False


def test_relation_with_a_non_uuid_id_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_relation(n.relation("not-a-page-id"))


# --- formula and rollup --------------------------------------------------------------------------


def test_formula_string_result():
    assert parse_formula(n.formula("string", "ENG-42 · Fix login")) == "ENG-42 · Fix login"


def test_formula_number_result_is_a_float():
    assert parse_formula(n.formula("number", 5)) == 5.0


def test_formula_boolean_result():
    assert parse_formula(n.formula("boolean", True)) is True


def test_formula_date_result():
    assert parse_formula(
        n.formula("date", {"start": "2026-03-13", "end": None, "time_zone": None})
    ) == DateValue(date(2026, 3, 13), None, None)


def test_formula_without_value_is_none():
    assert parse_formula(n.formula("number", None)) is None
    assert parse_formula(n.formula("string", None)) is None


def test_formula_of_unknown_result_type_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_formula(n.formula("vector", [1, 2]))


def test_rollup_number_result():
    assert parse_rollup(n.rollup("number", 13)) == 13.0


def test_rollup_date_result():
    value = parse_rollup(
        n.rollup("date", {"start": "2026-03-13T00:00:00.000Z", "end": None, "time_zone": None})
    )
    assert value == DateValue(datetime(2026, 3, 13, tzinfo=UTC), None, None)


def test_rollup_array_elements_are_parsed_by_their_type():
    array = [
        {"type": "number", "number": 3},
        {"type": "title", "title": [n.text_item("Sprint 23")]},
        {"type": "date", "date": None},
    ]
    assert parse_rollup(n.rollup("array", array, "show_original")) == [3.0, "Sprint 23", None]


def test_rollup_without_value_is_none():
    assert parse_rollup(n.rollup("number", None)) is None
    assert parse_rollup(n.rollup("date", None, "latest_date")) is None


def test_rollup_array_that_is_not_a_list_is_a_parse_error():
    with pytest.raises(PropertyParseError) as raised:
        parse_rollup(n.rollup("array", {"type": "number"}))
    assert raised.value.property_type == "rollup"


# --- unique_id, timestamps, files ----------------------------------------------------------------


def test_unique_id_with_prefix():
    assert parse_unique_id(n.unique_id(42)) == "ENG-42"


def test_unique_id_without_prefix_is_the_number():
    assert parse_unique_id(n.unique_id(42, prefix=None)) == "42"


def test_unique_id_without_number_is_none():
    assert parse_unique_id(n.unique_id(None)) is None


def test_unique_id_with_text_number_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_unique_id(n.unique_id("42"))


def test_created_time_is_aware_utc():
    assert parse_created_time(n.created_time("2026-03-02T09:15:00.000Z")) == datetime(
        2026, 3, 2, 9, 15, tzinfo=UTC
    )


def test_last_edited_time_with_offset_is_converted_to_utc():
    parsed = parse_last_edited_time(n.last_edited_time("2026-03-04T17:41:00.000+01:00"))
    assert parsed == datetime(2026, 3, 4, 16, 41, tzinfo=UTC)
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize("bad", ["yesterday", "2026-03-04", 1709570460, None])
def test_bad_timestamp_is_a_parse_error(bad):
    with pytest.raises(PropertyParseError):
        parse_last_edited_time(n.last_edited_time(bad))


def test_files_are_urls_of_uploaded_and_external_files():
    prop = n.files(
        n.uploaded_file("trace.log", "https://prod-files-secure.s3.amazonaws.com/trace.log"),
        n.external_file("Spec", "https://docs.example.com/spec.pdf"),
    )
    assert parse_files(prop) == [
        "https://prod-files-secure.s3.amazonaws.com/trace.log",
        "https://docs.example.com/spec.pdf",
    ]


def test_files_empty_is_empty_list():
    assert parse_files(n.files()) == []


def test_file_without_url_is_a_parse_error():
    with pytest.raises(PropertyParseError):
        parse_files(n.files({"name": "x", "type": "file", "file": {}}))


# --- dispatcher and error contract ---------------------------------------------------------------


def test_parse_property_dispatches_on_type():
    assert parse_property(n.unique_id(7)) == "ENG-7"
    assert parse_property(n.checkbox(True)) is True
    assert parse_property({"id": "b", "type": "button", "button": {}}) is None


def test_parse_property_rejects_unknown_types():
    with pytest.raises(PropertyParseError, match="unsupported"):
        parse_property({"id": "x", "type": "hologram", "hologram": {}})


@pytest.mark.parametrize("not_a_property", [None, "Done", 3, ["a"]])
def test_parse_property_rejects_values_that_are_not_objects(not_a_property):
    with pytest.raises(PropertyParseError):
        parse_property(not_a_property)


@pytest.mark.parametrize(
    "parser, prop",
    [
        (parse_title, {"type": "title"}),
        (parse_people, {"type": "people", "people": [None]}),
        (parse_status, {"type": "status", "status": ["Done"]}),
        (parse_relation, {"type": "relation", "relation": [{"id": None}]}),
        (parse_relation, {"type": "relation", "relation": [], "has_more": "no"}),
        (parse_formula, {"type": "formula", "formula": None}),
        (parse_rollup, {"type": "rollup", "rollup": {"type": "number", "number": "3"}}),
        (parse_files, {"type": "files", "files": [{"type": "external", "external": None}]}),
        (parse_unique_id, {"type": "unique_id", "unique_id": None}),
        (parse_multi_select, {"type": "multi_select", "multi_select": [None]}),
    ],
)
def test_malformed_shapes_raise_only_property_parse_error(parser, prop):
    with pytest.raises(PropertyParseError):
        parser(prop)


def test_property_parse_error_names_type_and_problem():
    error = PropertyParseError("number", "expected a number or null, got str")
    assert str(error) == "number: expected a number or null, got str"
    assert (error.property_type, error.message) == ("number", "expected a number or null, got str")


def test_fixed_offset_is_preserved_when_no_time_zone_is_named():
    value = parse_date(n.date("2026-03-02T09:30:00+05:30"))
    assert value is not None
    assert value.start.utcoffset() == timezone(timedelta(hours=5, minutes=30)).utcoffset(None)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=12) | st.sampled_from(["type", "id", "start"]), inner)
    ),
    max_leaves=15,
)


@settings(max_examples=500, deadline=None, database=None)
@given(
    kind=st.sampled_from(
        [
            "title",
            "rich_text",
            "number",
            "select",
            "multi_select",
            "status",
            "date",
            "people",
            "relation",
            "checkbox",
            "url",
            "email",
            "phone_number",
            "formula",
            "rollup",
            "unique_id",
            "created_time",
            "last_edited_time",
            "created_by",
            "files",
        ]
    ),
    payload=_json,
    has_more=st.none() | _json,
)
def test_any_json_payload_raises_nothing_but_property_parse_error(kind, payload, has_more):
    prop = {"id": "x", "type": kind, kind: payload}
    if has_more is not None:
        prop["has_more"] = has_more
    with contextlib.suppress(PropertyParseError):
        parse_property(prop)
