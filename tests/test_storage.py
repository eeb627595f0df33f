"""Storage: migrations match the models, upserts are idempotent, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from models import Person, Sprint, Ticket, TicketAssignee
from models.db import current_revision, get_engine, head_revision
from models.people import upsert_people
from models.sprints import upsert_sprints
from models.tickets import mark_tickets_removed, upsert_tickets
from tests.factories import person_row, sprint_row, ticket_row


def _snapshot(session: Session) -> list[tuple]:
    tickets = session.exec(select(Ticket).order_by(Ticket.id)).all()
    return [
        (t.id, t.title, t.status, t.points, t.updated_at, t.first_seen_at, t.removed_at)
        for t in tickets
    ]


def test_migrated_schema_equals_the_models(db_url: str) -> None:
    engine = get_engine(db_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []


def test_same_ticket_batch_twice_leaves_identical_rows(db_url: str) -> None:
    rows = [ticket_row(n) for n in range(1, 51)]
    assignees = {rows[0]["id"]: ["p1", "p2"], rows[1]["id"]: ["p3"]}
    with Session(get_engine(db_url)) as session:
        upsert_tickets(session, rows, assignees)
        session.commit()
        first = _snapshot(session)
        links_first = session.exec(select(TicketAssignee).order_by(TicketAssignee.ticket_id)).all()
        upsert_tickets(session, rows, assignees)
        session.commit()
        session.expire_all()
        assert _snapshot(session) == first
        links = session.exec(select(TicketAssignee).order_by(TicketAssignee.ticket_id)).all()
        assert [(x.ticket_id, x.person_id, x.position) for x in links] == [
            (x.ticket_id, x.person_id, x.position) for x in links_first
        ]
    assert len(first) == 50


def test_changed_field_updates_only_that_row(db_url: str) -> None:
    rows = [ticket_row(n) for n in range(1, 11)]
    with Session(get_engine(db_url)) as session:
        upsert_tickets(session, rows, {})
        session.commit()
        before = {row[0]: row for row in _snapshot(session)}
        edited = ticket_row(
            5,
            status="Done",
            status_category="complete",
            last_edited_time=datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
        )
        upsert_tickets(session, [*rows[:4], edited, *rows[5:]], {})
        session.commit()
        session.expire_all()
        after = {row[0]: row for row in _snapshot(session)}
    changed = {tid for tid in after if after[tid] != before[tid]}
    assert changed == {edited["id"]}
    assert after[edited["id"]][2] == "Done"
    assert after[edited["id"]][5] == before[edited["id"]][5], "first_seen_at is insert-only"


def test_hostile_text_is_stored_verbatim(db_url: str) -> None:
    hostile = "<script>alert(1)</script>\x07 שלום 🚀 " + "x" * 3000
    with Session(get_engine(db_url)) as session:
        upsert_tickets(session, [ticket_row(1, title=hostile, raw={"Name": hostile})], {})
        session.commit()
        stored = session.exec(select(Ticket)).one()
    assert stored.title == hostile
    assert stored.raw == {"Name": hostile}


def test_removed_tickets_are_flagged_and_come_back_when_seen_again(db_url: str) -> None:
    rows = [ticket_row(n) for n in range(1, 4)]
    at = datetime(2026, 11, 5, tzinfo=UTC)
    with Session(get_engine(db_url)) as session:
        upsert_tickets(session, rows, {})
        assert mark_tickets_removed(session, [rows[0]["id"]], at) == 1
        assert mark_tickets_removed(session, [rows[0]["id"]], at) == 0
        session.commit()
        removed = session.get(Ticket, rows[0]["id"])
        assert removed is not None and removed.removed_at == at
        upsert_tickets(session, rows[:1], {})
        session.commit()
        session.expire_all()
        restored = session.get(Ticket, rows[0]["id"])
        assert restored is not None and restored.removed_at is None


def test_person_seen_in_property_keeps_email_and_source_from_users_api(db_url: str) -> None:
    with Session(get_engine(db_url)) as session:
        upsert_people(session, [person_row(1)])
        upsert_people(
            session,
            [
                person_row(1, name="", email=None, source="property"),
                person_row(2, email=None, source="property"),
            ],
        )
        session.commit()
        people = {p.id: p for p in session.exec(select(Person)).all()}
    first, second = people[person_row(1)["id"]], people[person_row(2)["id"]]
    assert (first.name, first.email, first.source) == (
        "Person 1",
        "person1@example.com",
        "users_api",
    )
    assert (second.name, second.email, second.source) == ("Person 2", None, "property")


def test_sprint_upsert_is_idempotent_and_updates_edits(db_url: str) -> None:
    start = datetime(2026, 11, 16).date()
    row = sprint_row(1, start, start + timedelta(days=13))
    with Session(get_engine(db_url)) as session:
        upsert_sprints(session, [row])
        upsert_sprints(session, [row])
        upsert_sprints(session, [{**row, "name": "Sprint 1 (renamed)"}])
        session.commit()
        sprints = session.exec(select(Sprint)).all()
    assert [(s.name, s.start, s.end) for s in sprints] == [
        ("Sprint 1 (renamed)", start, start + timedelta(days=13))
    ]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
