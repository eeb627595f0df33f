"""`GET /health`: reachability of every dependency, the checks `conductor doctor` runs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import SettingsDep
from tasks.health import ERROR, run_checks

router = APIRouter(tags=["status"])


@router.get("/health")
def health(settings: SettingsDep) -> JSONResponse:
    """Reachability of every dependency (the checks of `conductor doctor`)."""
    checks = [check.as_dict() for check in run_checks(settings)]
    database_down = any(c["name"] == "database" and c["state"] == ERROR for c in checks)
    degraded = any(c["state"] == ERROR for c in checks)
    # 503 only when the database is down: without it no other endpoint can answer.
    return JSONResponse(
        {"status": "degraded" if degraded else "ok", "checks": checks},
        status_code=503 if database_down else 200,
    )
