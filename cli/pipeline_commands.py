"""`conductor demo`, `run`, `serve` and `server`: running the whole pipeline and its schedules."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import typer

from cli.ingest_commands import require_notion
from cli.output import console, err_console, print_json, shown
from cli.prefect_server import DEFAULT_UI_URL, forget_server, record_server
from cli.sprint_commands import forecast_words
from models import clock
from models.settings import ConfigError, Settings, get_settings, load_settings, settings_in_use

DEMO_STAKEHOLDERS = "stakeholders@example.com"


@contextmanager
def demo_environment(sandbox: Any) -> Iterator[Settings]:
    """Point Conductor at the local sandbox for the duration of the demo.

    SMTP is switched off so the email lands in the `.eml` outbox. When a real workspace is
    configured, the demo keeps to its own database and output folder so nothing mixes with it;
    otherwise it uses the defaults, so `conductor sprint` and friends show the demo afterwards.
    """
    configured = get_settings()
    overrides = {
        **sandbox.conductor_environment(),
        "CONDUCTOR_NOTION_RATE_LIMIT_RPS": "1000",
        "CONDUCTOR_SMTP_HOST": "",
        "CONDUCTOR_STAKEHOLDERS": ",".join(configured.stakeholders) or DEMO_STAKEHOLDERS,
    }
    if configured.notion_token:
        overrides["CONDUCTOR_DATABASE_URL"] = (
            f"sqlite:///{(configured.home / 'demo.db').as_posix()}"
        )
        overrides["CONDUCTOR_OUTPUT_DIR"] = str(configured.output_dir / "demo")
    fields = {name.removeprefix("CONDUCTOR_").lower(): value for name, value in overrides.items()}
    with settings_in_use(load_settings(**fields)) as settings:
        yield settings


def _relative(path: str | Path | None) -> str:
    if not path:
        return "—"
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def pipeline_story(result: dict[str, Any], settings: Settings, seconds: float) -> list[str]:
    """What the pipeline did, in the few lines a person reads after `demo` or `run`."""
    ingest, rollup, summary, email = (result[k] for k in ("ingest", "rollup", "summary", "email"))
    stored = stored_counts(settings)
    lines = [
        f"Synced {ingest['fetched']} Notion pages ({ingest['created']} new, {ingest['updated']} updated, "
        f"{ingest['removed']} removed) with {ingest['requests']} requests: "
        f"{stored['tickets']} tickets, {stored['sprints']} sprints and {stored['people']} people "
        "stored.",
    ]
    report = rollup.get("current")
    if report:
        sprint, metrics = report["sprint"], report["metrics"]
        lines.append(
            f"{sprint['name']} ({sprint['start']} → {sprint['end']}): {metrics['completion_pct']:g}% done, "
            f"{metrics['completed_points']:g} of {metrics['scope_points']:g} points, "
            f"forecast {forecast_words(metrics['forecast'])}, {metrics['blocked_count']} blocked."
        )
    else:
        lines.append("No current sprint found in the workspace.")
    how = (
        "template (no LLM configured: set CONDUCTOR_LLM_MODEL)"
        if summary["generated_by"] == "template"
        else f"{summary['generated_by']}{' (cached)' if summary['cached'] else ''}"
    )
    lines.append(
        f"Daily summary by {how}: {_relative(settings.output_dir / 'summaries' / (summary['date'] + '.md'))}"
    )
    if email:
        lines.append(
            f"Stakeholder email {email['status'].replace('_', ' ')}: {_relative(email.get('path'))}"
        )
    lines.append(
        f"Sprint report: {_relative(rollup.get('report_path'))}   Burndown: {_relative(rollup.get('chart_path'))}"
    )
    lines.append(f"Done in {seconds:.0f} s.")  # since the process started: what the user waited
    return lines


def process_age_s() -> float:
    """Seconds since this process started (Linux: from /proc), so "Done in N s" counts the
    interpreter's start and the imports the user waited for too; elsewhere, since this module
    was imported."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED_AT


_IMPORTED_AT = time.perf_counter()


def stored_counts(settings: Settings) -> dict[str, int]:
    """Live tickets and sprints, and people (bots not counted), as stored after a run: the
    figures `conductor tickets`, `sprint` and `users` will show, so the story agrees with them
    (the pages a sync reads include sprints, and a re-read page counts again)."""
    from sqlalchemy import func, select

    from models import Person, Sprint, Ticket
    from models.db import session_scope

    with session_scope(settings.database_url) as session:

        def count(model: Any, *where: Any) -> int:
            return int(
                session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
            )

        return {
            "tickets": count(Ticket, Ticket.removed_at.is_(None)),
            "sprints": count(Sprint, Sprint.removed_at.is_(None)),
            "people": count(Person, Person.type == "person"),
        }


def _print_story(lines: list[str], *, demo: bool) -> None:
    for line in lines:
        console.print(shown(line), highlight=False)
    console.print()
    if demo:
        console.print(
            "Explore the data:  [bold]uv run conductor sprint[/]  ·  [bold]uv run conductor tickets --sprint current[/]"
        )
    from tasks.health import prefect_api_url

    ui = prefect_api_url()
    if ui:
        console.print(f"These runs are in the Prefect UI at {ui.removesuffix('/api')}.")
    else:
        console.print(
            f"See these runs in the Prefect UI:  [bold]uv run conductor server[/], then open {DEFAULT_UI_URL}"
        )


def demo(
    tickets: int = typer.Option(
        400, "--tickets", min=10, max=20_000, help="Size of the sample workspace."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the pipeline's result as JSON only."),
) -> None:
    """Run the whole pipeline on the bundled sample workspace: no configuration, no network."""
    from cli.flow_runs import prepare_prefect, run_in_process

    prepare_prefect()
    from flows.conductor_pipeline import conductor_pipeline
    from sandbox.sample import build_sample_workspace
    from sandbox.server import start_sandbox

    with (
        start_sandbox(
            build_sample_workspace(clock.local_today(get_settings().tz), n_tickets=tickets)
        ) as sandbox,
        demo_environment(sandbox) as settings,
    ):
        if not as_json:
            workspace = sandbox.workspace
            err_console.print(
                f"Serving the sample workspace ({len(workspace.tickets())} tickets, "
                f"{len(workspace.sprints())} sprints, {len(workspace.people)} people) "
                f"at {sandbox.base_url} …"
            )
        result = run_in_process(conductor_pipeline)
        if as_json:
            print_json(result)
            return
        _print_story(pipeline_story(result, settings, process_age_s()), demo=True)


def run(
    no_email: bool = typer.Option(False, "--no-email", help="Skip the stakeholder email."),
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Rescan Notion and reconcile removals."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the pipeline's result as JSON only."),
) -> None:
    """Run the whole pipeline on the configured workspace: ingest → rollup → summary → email."""
    require_notion()
    settings = get_settings()
    if not no_email and not settings.stakeholders:
        raise ConfigError(
            "set CONDUCTOR_STAKEHOLDERS (comma list of recipients) or pass --no-email"
        )
    from cli.flow_runs import prepare_prefect, run_in_process

    prepare_prefect()
    from flows.conductor_pipeline import conductor_pipeline

    result = run_in_process(conductor_pipeline, full_refresh=full_refresh, send_email=not no_email)
    if as_json:
        print_json(result)
        return
    _print_story(pipeline_story(result, settings, process_age_s()), demo=False)


def serve() -> None:
    """Serve every flow as a scheduled deployment to this home's `conductor server` (or the
    server at PREFECT_API_URL)."""
    from cli.flow_runs import use_prefect_server
    from tasks.health import prefect_api_url

    api_url = use_prefect_server(hint=False) or prefect_api_url()
    if not api_url:
        raise ConfigError(
            "no Prefect server to serve to: start one with `conductor server` in another "
            "terminal (or set PREFECT_API_URL)"
        )
    from deployments import SPECS, serve_deployments

    settings = get_settings()
    for spec in SPECS:
        when = f"cron {spec.cron} ({settings.timezone})" if spec.cron else "on demand"
        console.print(f"  {spec.name:<20} {when}")
    console.print(f"Serving {len(SPECS)} deployments to {api_url} — Ctrl-C stops.")
    with suppress(KeyboardInterrupt):
        serve_deployments(settings.timezone)
    console.print("Stopped serving; schedules are paused until the next `conductor serve`.")


def server(
    host: str = typer.Option(
        "127.0.0.1", help="Interface to bind (keep it local unless you add auth)."
    ),
    port: int = typer.Option(4200, help="Port of the API and UI."),
    public_url: str | None = typer.Option(
        None,
        "--public-url",
        help="URL browsers and workers use to reach this server (needed with --host 0.0.0.0), "
        "e.g. http://prefect.internal:4200.",
    ),
) -> None:
    """Start a local Prefect server (UI and API) with Conductor's settings."""
    if host in ("0.0.0.0", "::") and not public_url:
        raise ConfigError(
            f"--host {host} needs --public-url (the address browsers and workers use, "
            f"e.g. http://$(hostname -f):{port})"
        )
    url = (public_url or f"http://{host}:{port}").rstrip("/")
    env = os.environ.copy()
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    # A deployment run queued behind a busy slot asks again every 5 s (Prefect: 30 s), so the
    # next run starts soon after a dead one is marked Crashed.
    env.setdefault("PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS", "5")
    env["PREFECT_UI_API_URL"] = f"{url}/api"
    console.print(f"Prefect UI and API on {url} (state in {env['PREFECT_HOME']}).")
    console.print(
        "Conductor commands run from this folder now use it (no temporary server). "
        "Schedules: [bold]uv run conductor serve[/] in another terminal."
    )
    command = [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        host,
        "--port",
        str(port),
    ]
    from cli import prefect_database

    home = get_settings().home.resolve()
    _, template_source = prefect_database.prepare_home(Path(env["PREFECT_HOME"]).expanduser())
    threading.Thread(
        target=_prepare_server, args=(f"{url}/api", home, template_source), daemon=True
    ).start()
    try:
        code = run_child_until_stopped(command, env)
    finally:
        forget_server(home, os.getpid())
    if code not in (0, 130, -2, -15, 143):
        raise SystemExit(code)


def _prepare_server(
    api_url: str, home: Path, template_source: Path | None, timeout_s: float = 180
) -> None:
    """Once the server answers, keep a fresh home's migrated database as the venv's template
    (`cli.prefect_database`; `template_source`, None when the home had one), say in `home`
    that the server runs, for the flow commands to find it (`cli.prefect_server`), and create
    what unattended operation needs on it: the automation that marks runs whose process died
    as Crashed (`deployments.zombies`)."""
    import httpx
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from cli import prefect_database
    from deployments.zombies import SILENCE_S, ensure_zombie_automation

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    else:
        return  # the server did not come up; it says why on its own output
    if template_source is not None:
        prefect_database.keep_as_template(template_source)
    record_server(home, api_url, os.getpid())
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            ensure_zombie_automation()
    except Exception as exc:  # the server works without it; say what is missing
        err_console.print(f"could not create the zombie-run automation: {shown(str(exc))}")
        return
    console.print(
        f"Runs that stop heartbeating for {SILENCE_S} s are marked Crashed (automation created)."
    )


def run_child_until_stopped(command: list[str], env: dict[str, str]) -> int:
    """Run `command` in the foreground and make it end with us: SIGTERM, SIGHUP and Ctrl-C are
    passed on to it and waited for, and on Linux the kernel sends it SIGTERM if this process is
    killed outright (`PR_SET_PDEATHSIG`), so a stopped `conductor server` never leaves a Prefect
    server holding the port. Returns the child's exit code."""
    from cli.temporary_server import terminate_with_parent

    process = subprocess.Popen(command, env=env, preexec_fn=terminate_with_parent())

    def pass_on(signum: int, _frame: Any) -> None:
        process.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:  # the terminal sent SIGINT to the child too
                process.send_signal(signal.SIGINT)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if process.poll() is None:
            process.kill()
            process.wait()
