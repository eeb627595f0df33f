"""Dead runs are marked dead: flow-run heartbeats, and the automation that acts on their silence.

A deployment run whose process vanished (kill -9, a worker machine lost) cannot report its own
end, so Prefect would show it Running for ever and keep its deployment's concurrency slot.
Prefect's documented remedy ("detect zombie flows") is used as is: served and worker runs emit
a `prefect.flow-run.heartbeat` event every `HEARTBEAT_S` seconds, and a proactive automation
marks a Conductor run (tag `conductor`) Crashed when `SILENCE_S` pass without a heartbeat or an
end state. Crashed is a terminal state, so the server frees the run's deployment slot too.

Conductor's own locks do not wait for this (they die with their holder, `models.locks`); this is
what the Prefect UI, deployment concurrency and alerts rely on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

#: Seconds between heartbeats of a deployment run (Prefect's minimum is 30).
HEARTBEAT_S = 30
#: Silence after which a run is dead: one heartbeat interval and half another, so a heartbeat
#: may come 15 s late on a busy machine without the run being taken for dead, while a dead run
#: is marked Crashed 15-45 s after it died and its deployment slot frees within a minute.
SILENCE_S = 45
AUTOMATION_NAME = "conductor: crash runs that stopped heartbeating"
#: Every run Conductor deploys carries this tag (deployments.TAGS).
TAG = "conductor"


def heartbeat_environment() -> dict[str, str]:
    """What a process that runs deployment flows needs in its environment to heartbeat."""
    return {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S)}


def zombie_automation() -> Any:
    """The automation, as Prefect's guide writes it, limited to runs tagged `conductor`."""
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=AUTOMATION_NAME,
        description=(
            f"A Conductor flow run that sent no heartbeat for {SILENCE_S} s is dead (its process "
            "was killed or its machine lost): mark it Crashed so its slot frees."
        ),
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            match_related=ResourceSpecification(
                {"prefect.resource.role": "tag", "prefect.resource.id": f"prefect.tag.{TAG}"}
            ),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=SILENCE_S),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {SILENCE_S} s: the process running it is gone.",
            )
        ],
    )


def ensure_zombie_automation() -> str:
    """Create the automation on the current Prefect API, or bring it up to date; idempotent.

    Returns what was done: `created`, `updated` or `present`.
    """
    from prefect.automations import Automation

    wanted = zombie_automation()
    try:
        existing = Automation.read(name=AUTOMATION_NAME)
    except ValueError:  # "not found"
        wanted.create()
        return "created"
    fields = {"description", "trigger", "actions", "enabled"}
    if existing.model_dump(include=fields) == wanted.model_dump(include=fields):
        return "present"
    wanted.id = existing.id
    wanted.update()
    return "updated"
