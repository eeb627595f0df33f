"""What the Prefect UI lists for a run started from the CLI: the `conductor` tag, and names
that tell a preview from a real send. Checked on the runs the test server recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from prefect.states import State

from cli.flow_runs import run_in_process
from flows.stakeholder_email import stakeholder_email
from tests.prefect_helpers import read_flow_run, read_task_runs
from tests.test_email import _seed_sprint_42, outbox_mode  # noqa: F401  (a fixture)

FRIDAY = date(2026, 11, 20)  # ISO week 2026-W47


def _recorded(state: State) -> dict[str, Any]:
    assert state.is_completed(), state.message
    return read_flow_run(str(state.state_details.flow_run_id))


@pytest.mark.usefixtures("outbox_mode")
def test_a_cli_run_carries_the_conductor_tag_on_the_flow_run_and_its_task_runs(
    db_url: str, prefect_harness: None
) -> None:
    _seed_sprint_42(db_url)
    run = _recorded(run_in_process(stakeholder_email, today=FRIDAY, return_state=True))
    assert "conductor" in run["tags"]
    tasks = read_task_runs(run["id"])
    assert tasks and all("conductor" in task["tags"] for task in tasks)


@pytest.mark.usefixtures("outbox_mode")
def test_a_flow_called_outside_the_cli_is_not_tagged_by_it(
    db_url: str, prefect_harness: None
) -> None:
    _seed_sprint_42(db_url)
    run = _recorded(stakeholder_email(preview=True, today=FRIDAY, return_state=True))
    assert "conductor" not in run["tags"]


@pytest.mark.usefixtures("outbox_mode")
def test_a_preview_run_is_named_apart_from_a_send_of_the_same_week(
    db_url: str, prefect_harness: None
) -> None:
    _seed_sprint_42(db_url)
    preview = _recorded(
        run_in_process(stakeholder_email, preview=True, today=FRIDAY, return_state=True)
    )
    send = _recorded(run_in_process(stakeholder_email, today=FRIDAY, return_state=True))
    ad_hoc = _recorded(
        run_in_process(stakeholder_email, today=FRIDAY, ad_hoc=True, return_state=True)
    )
    assert preview["name"] == "email-stakeholders-2026-W47-preview"
    assert send["name"] == "email-stakeholders-2026-W47"
    assert ad_hoc["name"] == "email-stakeholders-2026-11-20"
