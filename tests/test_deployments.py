"""prefect.yaml and `conductor serve` declare the same, valid deployments (docs/design.md §6)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from deployments import EMAIL_CRON, INGEST_CRON, SPECS, SUMMARY_CRON, build_deployments

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def prefect_yaml() -> dict:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())


def _flow(entrypoint: str):
    path, name = entrypoint.split(":")
    assert (ROOT / path).is_file(), f"{path} does not exist"
    return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)


def test_every_prefect_yaml_entrypoint_imports_and_its_parameters_validate(
    prefect_yaml: dict,
) -> None:
    for deployment in prefect_yaml["deployments"]:
        flow = _flow(deployment["entrypoint"])
        flow.validate_parameters(deployment.get("parameters", {}))
        assert deployment["work_pool"]["name"] == "conductor"


def test_prefect_yaml_matches_the_served_deployments(prefect_yaml: dict) -> None:
    declared = {
        d["name"]: (
            d["entrypoint"],
            tuple(s["cron"] for s in d.get("schedules", [])),
            d.get("parameters", {}),
            d["concurrency_limit"]["collision_strategy"],
        )
        for d in prefect_yaml["deployments"]
    }
    served = {
        s.name: (
            s.entrypoint,
            (s.cron,) if s.cron else (),
            s.parameters,
            "CANCEL_NEW" if s.skip_when_busy else "ENQUEUE",
        )
        for s in SPECS
    }
    assert declared == served
    assert all(
        s["timezone"] == "{{ $CONDUCTOR_TIMEZONE }}"
        for d in prefect_yaml["deployments"]
        for s in d.get("schedules", [])
    )


def test_schedules_are_those_of_the_design_in_the_team_time_zone() -> None:
    deployments = {d.name: d for d in build_deployments("Europe/Berlin")}
    crons = {
        name: [(s.schedule.cron, s.schedule.timezone) for s in d.schedules]
        for name, d in deployments.items()
    }
    assert crons == {
        "notion-ingest": [(INGEST_CRON, "Europe/Berlin")],
        "sprint-rollup": [],
        "daily-summary": [(SUMMARY_CRON, "Europe/Berlin")],
        "stakeholder-email": [(EMAIL_CRON, "Europe/Berlin")],
        "conductor-pipeline": [],
    }
    assert (INGEST_CRON, SUMMARY_CRON, EMAIL_CRON) == ("*/15 * * * *", "0 9 * * 1-5", "0 16 * * 5")
    assert deployments["notion-ingest"].parameters == {"rollup_after": True, "if_busy": "skip"}
    assert all(d.concurrency_limit == 1 for d in deployments.values())
