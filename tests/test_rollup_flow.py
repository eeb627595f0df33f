"""The sprint rollup flow end to end, under the shared Prefect test harness."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from flows.sprint_rollup import sprint_rollup
from models import SprintSnapshot
from models.db import get_engine
from tests.prefect_helpers import read_artifacts
from tests.test_metrics import S1, TODAY, build_history


@pytest.fixture
def stored_history(db_url: str) -> str:
    with Session(get_engine(db_url)) as session:
        build_history(session)
    return db_url


def test_rollup_publishes_report_chart_and_artifacts_and_a_rerun_is_idempotent(
    stored_history: str, prefect_harness: None, tmp_path: Path
) -> None:
    first = sprint_rollup(today=TODAY)
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
    # A slug of the name and a short hash of the sprint's id (tasks/file_names.py).
    stem = "sprint-1-" + hashlib.sha256(S1.encode()).hexdigest()[:8]
    assert (tmp_path / "out" / "charts" / f"{stem}-burndown.svg").exists()
    assert (tmp_path / "out" / "reports" / "latest.html").read_text() == html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; fix login" in html
    assert "<svg" in html

    assert _artifact_keys() >= {f"sprint-report-{stem}", f"sprint-at-risk-{stem}"}


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
