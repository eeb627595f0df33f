"""The one table of Conductor's deployments (docs/design.md §6).

`conductor serve` and each flow module run directly (`python -m flows.notion_ingest`) serve
from `SPECS`; prefect.yaml repeats it for `prefect deploy` (which reads YAML only), and
tests/test_deployments.py fails when the two differ.

| deployment | flow | schedule (CONDUCTOR_TIMEZONE) | overlap |
|---|---|---|---|
| notion-ingest | notion_ingest (+ sprint_rollup after each run) | every 15 min | a new run is skipped while one runs |
| sprint-rollup | sprint_rollup | on demand (it follows each ingest) | queued |
| daily-summary | daily_summary | weekdays 09:00 | queued |
| stakeholder-email | stakeholder_email | Fridays 16:00 | queued |
| conductor-pipeline | conductor_pipeline | on demand | queued |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: Cron expressions of docs/design.md §6, shared by `conductor serve`, prefect.yaml and the tests.
INGEST_CRON = "*/15 * * * *"
SUMMARY_CRON = "0 9 * * 1-5"
EMAIL_CRON = "0 16 * * 5"
TAGS = ["conductor"]


@dataclass(frozen=True)
class DeploymentSpec:
    """What a deployment is, independent of how it is created (serve or prefect.yaml)."""

    name: str
    entrypoint: str
    cron: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    skip_when_busy: bool = False
    tags: tuple[str, ...] = ()


SPECS: tuple[DeploymentSpec, ...] = (
    DeploymentSpec("notion-ingest", "flows/notion_ingest.py:notion_ingest", INGEST_CRON,
                   {"rollup_after": True, "if_busy": "skip"}, skip_when_busy=True, tags=("ingest",)),
    DeploymentSpec("sprint-rollup", "flows/sprint_rollup.py:sprint_rollup", tags=("rollup",)),
    DeploymentSpec("daily-summary", "flows/daily_summary.py:daily_summary", SUMMARY_CRON, tags=("summary",)),
    DeploymentSpec("stakeholder-email", "flows/stakeholder_email.py:stakeholder_email", EMAIL_CRON,
                   {"audience": "stakeholders"}, tags=("email",)),
    DeploymentSpec("conductor-pipeline", "flows/conductor_pipeline.py:conductor_pipeline", tags=("pipeline",)),
)  # fmt: skip


def _load_flow(entrypoint: str) -> Any:
    import importlib

    path, name = entrypoint.split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, name)


def build_deployments(timezone: str, names: Sequence[str] | None = None) -> list[Any]:
    """Runner deployments for `prefect.serve`, with cron schedules in `timezone`.

    `names` picks some of `SPECS` (default: all). Each deployment allows one active run: the 15-minute ingest skips a tick while the previous
    run is still going (CANCEL_NEW); the others queue (ENQUEUE).
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron

    deployments = []
    for spec in SPECS:
        if names is not None and spec.name not in names:
            continue
        strategy = (
            ConcurrencyLimitStrategy.CANCEL_NEW
            if spec.skip_when_busy
            else ConcurrencyLimitStrategy.ENQUEUE
        )
        deployments.append(
            _load_flow(spec.entrypoint).to_deployment(
                name=spec.name,
                schedules=[Cron(spec.cron, timezone=timezone)] if spec.cron else None,
                parameters=spec.parameters,
                concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=strategy),
                tags=[*TAGS, *spec.tags],
            )
        )
    return deployments


def serve_deployments(timezone: str, names: Sequence[str] | None = None) -> None:
    """Serve deployments of `SPECS` to the Prefect API until interrupted (blocks).

    The runs a runner starts are its child processes: they inherit the heartbeat setting, and
    the zombie automation marks them Crashed if they go silent (`deployments.zombies`).
    Used by `conductor serve` (all of them) and by each flow file run directly (its own).
    """
    import os

    from prefect import serve

    from deployments.zombies import ensure_zombie_automation, heartbeat_environment

    os.environ.update(heartbeat_environment())
    ensure_zombie_automation()
    serve(*build_deployments(timezone, names), print_starting_message=False)
