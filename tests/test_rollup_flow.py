"""The sprint rollup flow end to end, under the shared Prefect test harness."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from flows.sprint_rollup import sprint_rollup
from models import SprintSnapshot
from models.db import get_engine
from tasks.metrics import rollup
from tasks.metrics.state_spans import states_are_current
from tests.prefect_helpers import read_artifacts
from tests.test_metrics import S1, TODAY, build_history

#: Sprint 1's file-name stem: a slug of the name and a short hash of its id (tasks/file_names.py).
STEM = "sprint-1-" + hashlib.sha256(S1.encode()).hexdigest()[:8]


@pytest.fixture
def stored_history(db_url: str) -> str:
    with Session(get_engine(db_url)) as session:
        build_history(session)
    return db_url


def test_rollup_publishes_report_chart_and_artifacts_and_a_rerun_is_idempotent(
    stored_history: str, prefect_harness: None, tmp_path: Path
) -> None:
    first = sprint_rollup(today=TODAY)
    with Session(get_engine(stored_history)) as session:
        # History written behind the flows' back is folded by the next rollup.
        assert states_are_current(session)
    second = sprint_rollup(today=TODAY)

    # Sprint 1 is active; 11-02 … 11-06 → 5 rows the first time, none added by the rerun
    assert first["snapshots"] == 5 and first["sprints"] == 1
    assert second["current"] == first["current"]
    with Session(get_engine(stored_history)) as session:
        per_day = session.exec(
            select(SprintSnapshot.day, func.count()).group_by(
                SprintSnapshot.sprint_id, SprintSnapshot.day
            )
        ).all()
    assert len(per_day) == 5 and all(count == 1 for _, count in per_day)

    assert first["current"]["sprint"]["id"] == S1
    assert first["current"]["metrics"]["remaining_points"] == 18
    html = Path(second["report_path"]).read_text()
    assert Path(second["chart_path"]).read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "out" / "charts" / f"{STEM}-burndown.svg").exists()
    assert (tmp_path / "out" / "reports" / "latest.html").read_text() == html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; fix login" in html
    assert "<svg" in html

    assert _artifact_keys() >= {f"sprint-report-{STEM}", f"sprint-at-risk-{STEM}"}


def test_a_fold_that_fails_costs_the_rollup_nothing_but_speed(
    stored_history: str, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The states only make reports faster: when folding them fails, the rollup still reports
    (from the events) all the same."""

    def broken(settings: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollup, "refresh_ticket_states", broken)
    result = sprint_rollup(today=TODAY)
    assert result["current"]["metrics"]["remaining_points"] == 18
    with Session(get_engine(stored_history)) as session:
        assert not states_are_current(session)


def test_report_artifact_embeds_the_burndown_and_links_no_local_file(
    stored_history: str, prefect_harness: None
) -> None:
    result = sprint_rollup(today=TODAY)
    [artifact] = read_artifacts(key=f"sprint-report-{STEM}", limit=1)
    markdown = artifact["data"]
    # a browser may not load file:// pictures from the Prefect UI's http:// page
    assert "file://" not in markdown
    [embedded] = re.findall(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert base64.b64decode(embedded) == Path(result["chart_path"]).read_bytes()
    assert f"`{Path(result['report_path']).resolve()}`" in markdown


def test_at_risk_table_has_five_short_columns_with_status_and_days_in_why(
    stored_history: str, prefect_harness: None
) -> None:
    sprint_rollup(today=TODAY)
    [artifact] = read_artifacts(key=f"sprint-at-risk-{STEM}", limit=1)
    rows = json.loads(artifact["data"])
    # T7 blocked 2 d (Bob), T2 in progress since 11-02 (aging, 4 d)
    assert [set(row) for row in rows] == [{"ticket", "title", "owner", "pts", "why"}] * 2
    assert [row["why"] for row in rows] == ["Blocked, 2 d", "In Progress, 4 d"]
    assert rows[0]["owner"] == "Bob"


def _artifact_keys() -> set[str]:
    return {artifact["key"] for artifact in read_artifacts() if artifact["key"]}


def test_rollup_on_an_empty_database_reports_nothing(db_url: str, prefect_harness: None) -> None:
    result = sprint_rollup(today=TODAY)
    assert result == {
        "sprints": 0,
        "snapshots": 0,
        "current": None,
        "report_path": None,
        "chart_path": None,
    }


def test_at_risk_row_names_one_owner_and_cuts_a_long_title() -> None:
    ticket = {"key": "ENG-1", "id": "x", "points": 3.0, "status": "In Review"}
    long = {**ticket, "title": "A" * 60, "assignees": ["Ana", "Bo", "Cy"], "days_in_status": 5}
    [row] = rollup.at_risk_rows({"at_risk": [long]})
    assert row == {
        "ticket": "ENG-1",
        "title": "A" * (rollup.TABLE_TITLE_CHARS - 1) + "…",
        "owner": "Ana +2",
        "pts": 3.0,
        "why": "In Review, 5 d",
    }
