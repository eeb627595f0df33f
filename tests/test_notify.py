"""Chat delivery through Apprise (`CONDUCTOR_NOTIFY_URLS`): what a post says, that each message
reaches each URL once across reruns and retries, which failures are retried, and that no URL's
token is ever shown.

The sinks are real servers on 127.0.0.1: an HTTP server collecting `json://` POSTs and an
aiosmtpd server for `mailto://`.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from models import OutboxPost
from models.db import get_engine
from models.settings import ConfigError, get_settings, load_settings, reload_settings
from tasks.notify import delivery, messages
from tasks.notify.delivery import MAX_ATTEMPTS, ChatDeliveryError, classify_failure, post_message
from tasks.notify.targets import configured_targets, url_hash
from tests.smtp_sink import Collector, smtp_sink
from tests.test_daily_summary import DAY, seed_team_day

SECRET = "Zq9webhookSecretNeverLog1"


@dataclass
class HttpSink:
    """Collects JSON POSTs; answers each request with the next status of `fail_with` (200 once
    that is empty)."""

    port: int = 0
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    requests: int = 0
    fail_with: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with sink.lock:
                sink.requests += 1
                status = sink.fail_with.pop(0) if sink.fail_with else 200
                if status == 200:
                    sink.posts.append((self.path, json.loads(body)))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()


@pytest.fixture
def mail_sink() -> Iterator[tuple[Collector, str]]:
    collector = Collector()
    with smtp_sink(collector) as port:
        url = (
            f"mailto://127.0.0.1:{port}?from=conductor@example.com&to=team@example.com"
            "&mode=insecure"
        )
        yield collector, url


def configure(monkeypatch: pytest.MonkeyPatch, *urls: str) -> None:
    monkeypatch.setenv("CONDUCTOR_NOTIFY_URLS", ", ".join(urls))
    reload_settings()


def report(**metrics: Any) -> dict[str, Any]:
    """A sprint report as `sprint_report` returns it, reduced to what a post reads."""
    return {
        "sprint": {"id": "s-42", "name": "Sprint 42", "end": "2026-12-04"},
        "metrics": {
            "completion_pct": 68.0,
            "completed_points": 34,
            "scope_points": 50,
            "remaining_points": 16,
            "blocked_count": 2,
            "forecast": "at_risk",
            "forecast_probability": 0.62,
            "forecast_dates": {"p50": "2026-12-03", "p85": "2026-12-07"},
            **metrics,
        },
        "at_risk": [
            {"key": "ENG-2", "title": "Upgrade Postgres", "reason": "blocked for 5 d",
             "url": "https://www.notion.so/acme/Upgrade-Postgres-2"},
            {"key": "ENG-1", "title": "Fix *login* @here <!channel> http://evil.example/x",
             "reason": "blocked for 2 d", "url": "https://evil.example/phish"},
            {"key": "ENG-9", "title": "Stuck review", "reason": "in progress for 9 d"},
            {"key": "ENG-7", "title": "Old work", "reason": "in progress for 4 d"},
        ],
    }  # fmt: skip


# ---------------------------------------------------------------------------- the message


def test_post_has_the_headline_figures_odds_and_first_three_attention_rows() -> None:
    message = messages.daily_summary_message(DAY, report(), "Checkout shipped.", "openai/x")
    assert message.key == "daily-summary:2026-11-03"
    assert message.text.splitlines()[:2] == [
        "Sprint 42: 68% done (34 of 50 points), 16 remaining, 2 blocked. Forecast: at risk.",
        "62% likely done by Fri 4 Dec; 50% by Thu 3 Dec, 85% by Mon 7 Dec.",
    ]
    lines = message.text.splitlines()
    attention = lines[lines.index("Needs attention:") + 1 :][:4]
    assert [line.split(" ")[1] for line in attention[:3]] == ["ENG-2", "ENG-1", "ENG-9"]
    assert attention[3] == "- and 1 more"
    assert message.text.endswith("Checkout shipped.")


def test_only_notion_ticket_links_appear_and_hostile_text_is_inert() -> None:
    summary = "Read [this](https://evil.example/a) now @everyone"
    message = messages.daily_summary_message(DAY, report(), summary, "openai/x")
    md = message.markdown
    assert "[ENG-2](https://www.notion.so/acme/Upgrade-Postgres-2)" in md
    assert "evil.example" not in md and "evil.example" not in message.text
    assert "`Fix *login* @\u2060here <\u2060!channel> [link removed]`" in md
    assert "Fix *login* @\u2060here &lt;\u2060!channel&gt; [link removed]" in message.html
    assert '<a href="https://www.notion.so/acme/Upgrade-Postgres-2">ENG-2</a>' in message.html
    for body in (md, message.text, message.html):
        assert "@everyone" not in body and "@here" not in body and "<!channel" not in body


def test_plain_text_body_carries_no_markdown() -> None:
    summary = "# Today\n\n- **Checkout** shipped\n- search is _late_"
    text = messages.daily_summary_message(DAY, report(), summary, "openai/x").text
    assert "**" not in text and "#" not in text and "_late_" not in text and "](" not in text
    assert "Checkout shipped" in text and "search is late" in text


def test_template_summary_loses_its_operator_label_in_chat() -> None:
    summary = "# Daily summary — 2026-11-03\n\n_Generated without an LLM (no LLM configured)._\n\nTwo tickets done."
    text = messages.daily_summary_message(DAY, None, summary, "template").text
    assert "Generated without an LLM" not in text
    assert text == "Two tickets done."  # the heading repeats the post's title


# ---------------------------------------------------------------------------- configuration


def test_urls_split_like_apprise_keeping_a_comma_inside_a_query() -> None:
    settings = load_settings(
        notify_urls="json://h.example/x, mailto://localhost?to=a@x.org,b@x.org json://h2/y"
    )
    assert [u.get_secret_value() for u in settings.notify_urls] == [
        "json://h.example/x",
        "mailto://localhost?to=a@x.org,b@x.org",
        "json://h2/y",
    ]


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (
            f"json://h/x, slack://{SECRET}",
            "CONDUCTOR_NOTIFY_URLS: entry 2: slack://… is not a valid Slack URL",
        ),
        (f"slakc://T1/B2/{SECRET}", "CONDUCTOR_NOTIFY_URLS: entry 1: slakc://… is not a service"),
        (SECRET, "CONDUCTOR_NOTIFY_URLS: entry 1: (no scheme://) is not a service"),
    ],
)
def test_a_bad_url_stops_start_up_with_one_line_without_its_token(value: str, line: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(notify_urls=value)
    message = str(raised.value)
    assert message.startswith(line)
    assert "\n" not in message and SECRET not in message


def test_doctor_names_each_service_and_hides_tokens(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        monkeypatch,
        f"json://bot:{SECRET}@127.0.0.1:9/hook",
        f"slack://T1JJ3T3L2/A1BRTD4JD/{SECRET}",
    )
    monkeypatch.setattr("tasks.health.prefect_api_url", lambda: None)
    result = CliRunner().invoke(app, ["doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["chat 1"]["state"] == checks["chat 2"]["state"] == "ok"
    assert checks["chat 1"]["detail"].startswith("JSON: json://bot:")
    assert checks["chat 2"]["detail"].startswith("Slack: slack://T...2/A...D/Z...1")
    assert checks["chat 2"]["detail"].endswith("(markdown)")
    assert SECRET not in result.stdout


def test_doctor_with_a_bad_url_prints_one_line_and_fails(tmp_path: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "doctor"],
        env={
            "CONDUCTOR_NOTIFY_URLS": f"json://127.0.0.1:9/ok, discord://{SECRET}",
            "CONDUCTOR_HOME": str(tmp_path),
            "PATH": "",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: CONDUCTOR_NOTIFY_URLS: entry 2: discord://… is not a valid Discord URL "
        "(check its tokens and options against Apprise's page for that service)"
    )
    assert SECRET not in result.stdout + result.stderr


# ---------------------------------------------------------------------------- delivery


def test_classify_failure_retries_only_what_can_succeed_later() -> None:
    assert classify_failure(["Failed to send JSON POST notification: Forbidden, error=403."]) == (
        False,
        "HTTP 403",
    )
    assert classify_failure(["Failed to send Slack notification: error=503."]) == (
        True,
        "HTTP 503",
    )
    assert classify_failure(["... error=429."]) == (True, "HTTP 429")
    assert classify_failure(["A Connection error occurred sending JSON notification."])[0]
    assert classify_failure([]) == (
        True,
        "the service did not accept the message (no reason given)",
    )


def _rows(db_url: str) -> list[OutboxPost]:
    with Session(get_engine(db_url)) as session:
        return list(session.exec(select(OutboxPost).order_by(OutboxPost.id)))


def test_each_url_gets_a_message_once_and_the_outbox_never_stores_the_url(
    db_url: str, http_sink: HttpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, http_sink.url("/a") + f"?+X-Token={SECRET}", http_sink.url("/b"))
    targets = configured_targets(get_settings())
    message = messages.failure_alert_message("run-1", "flow x run y failed: boom")
    engine = get_engine(db_url)
    first = post_message(message, targets, engine=engine)
    again = post_message(message, targets, engine=engine)
    assert [r["status"] for r in first] == ["posted", "posted"]
    assert [r["status"] for r in again] == ["already_posted", "already_posted"]
    assert sorted(path for path, _ in http_sink.posts) == ["/a", "/b"]
    rows = _rows(db_url)
    assert [row.url_hash for row in rows] == [t.url_hash for t in targets]
    assert rows[0].idempotency_key == f"alert:run-1@{url_hash(targets[0].url.get_secret_value())}"
    stored = json.dumps([row.model_dump(mode="json") for row in rows])
    assert SECRET not in stored and "127.0.0.1" not in stored


def test_a_4xx_url_is_rejected_once_and_never_retried_while_others_are_posted(
    db_url: str, http_sink: HttpSink, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    configure(monkeypatch, http_sink.url("/gone") + f"?+X-Token={SECRET}", http_sink.url("/ok"))
    http_sink.fail_with = [403]  # the first request (to /gone) is refused
    targets = configured_targets(get_settings())
    message = messages.failure_alert_message("run-2", "boom")
    caplog.set_level(logging.DEBUG)
    results = post_message(message, targets, engine=get_engine(db_url))
    assert [r["status"] for r in results] == ["rejected", "posted"]
    assert results[0]["reason"] == "HTTP 403"
    again = post_message(message, targets, engine=get_engine(db_url))
    assert [r["status"] for r in again] == ["rejected", "already_posted"]
    assert http_sink.requests == 2
    gone = _rows(db_url)[0]
    assert (gone.status, gone.attempts, gone.last_error) == ("rejected", 1, "HTTP 403")
    assert "not retried; fix or remove this URL" in caplog.text
    assert SECRET not in caplog.text


def test_a_transient_failure_is_retried_only_for_its_url_and_gives_up_after_max_attempts(
    db_url: str, http_sink: HttpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, http_sink.url("/flaky"), http_sink.url("/ok"))
    targets = configured_targets(get_settings())
    engine = get_engine(db_url)
    message = messages.failure_alert_message("run-3", "boom")
    http_sink.fail_with = [503]
    with pytest.raises(ChatDeliveryError) as raised:
        post_message(message, targets, engine=engine)
    assert raised.value.transient and "JSON (HTTP 503)" in str(raised.value)
    assert [path for path, _ in http_sink.posts] == ["/ok"]
    assert [r["status"] for r in post_message(message, targets, engine=engine)] == [
        "posted",
        "already_posted",
    ]
    assert sorted(path for path, _ in http_sink.posts) == ["/flaky", "/ok"]

    down = messages.failure_alert_message("run-4", "boom")
    http_sink.fail_with = [503, 200] * MAX_ATTEMPTS  # /flaky fails every time, /ok succeeds
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(ChatDeliveryError):
            post_message(down, targets, engine=engine)
        http_sink.fail_with = [503, *http_sink.fail_with[1:]]
    before = http_sink.requests
    results = post_message(down, targets, engine=engine)
    assert [r["status"] for r in results] == ["gave_up", "already_posted"]
    assert http_sink.requests == before


def test_a_claim_held_by_a_live_run_is_not_posted_twice(
    db_url: str, http_sink: HttpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, http_sink.url())
    targets = configured_targets(get_settings())
    engine = get_engine(db_url)
    message = messages.failure_alert_message("run-5", "boom")
    key = f"{message.key}@{targets[0].url_hash}"
    from tasks import claims

    table = OutboxPost.__table__  # type: ignore[attr-defined]
    claims.insert_if_absent(
        table,
        {"idempotency_key": key, "message_key": message.key, "url_hash": targets[0].url_hash},
        engine=engine,
    )
    assert claims.claim(table, key, lease=delivery.POST_LEASE, engine=engine) is not None
    assert post_message(message, targets, engine=engine)[0]["status"] == "in_progress"
    assert http_sink.requests == 0
    monkeypatch.setattr(delivery, "POST_LEASE", timedelta(0))  # the holder died long ago
    assert post_message(message, targets, engine=engine)[0]["status"] == "posted"


# ---------------------------------------------------------------------------- the flows


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_daily_summary_reaches_both_sinks_once_across_two_runs_and_a_retry(
    prefect_harness: None,
    db_url: str,
    http_sink: HttpSink,
    mail_sink: tuple[Collector, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import flows.daily_summary as daily_flow

    collector, mailto = mail_sink
    configure(monkeypatch, http_sink.url(f"/hook?+X-Token={SECRET}"), mailto)
    monkeypatch.setattr(
        daily_flow,
        "post_summary_to_chat",
        daily_flow.post_summary_to_chat.with_options(retry_delay_seconds=0),
    )
    with Session(get_engine(db_url)) as session:
        seed_team_day(session)
    http_sink.fail_with = [503]  # the JSON URL fails once: the task's retry posts it
    daily_flow.daily_summary(day=DAY)
    daily_flow.daily_summary(day=DAY)
    assert len(http_sink.posts) == 1 and http_sink.requests == 2
    assert len(collector.messages) == 1
    _, payload = http_sink.posts[0]
    assert payload["title"] == "Daily summary — 3 Nov 2026"
    assert payload["type"] == "info"
    first_line = payload["message"].splitlines()[0]
    assert first_line.startswith("Sprint 1: ") and "Forecast:" in first_line
    assert "**" not in payload["message"]  # json:// is a text service: no Markdown
    [mail] = collector.parsed()
    assert mail["Subject"] == "Daily summary — 3 Nov 2026"
    html = mail.get_body(("html",)).get_content()
    assert "<b>Sprint 1: " in html
    plain = mail.get_body(("plain",)).get_content()
    assert plain.startswith("Sprint 1: ") and "**" not in plain and "<" not in plain
    statuses = {(row.service, row.status, row.attempts) for row in _rows(db_url)}
    assert statuses == {("JSON", "sent", 1), ("E-Mail", "sent", 0)}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_stakeholder_update_posts_once_per_period(
    prefect_harness: None, db_url: str, http_sink: HttpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.stakeholder_email import stakeholder_email

    monkeypatch.setenv("CONDUCTOR_STAKEHOLDERS", "cto@example.com")
    configure(monkeypatch, http_sink.url())
    with Session(get_engine(db_url)) as session:
        seed_team_day(session)
    first = stakeholder_email(today=DAY)
    assert [r["status"] for r in first["chat"]] == ["posted"]
    later_that_week = stakeholder_email(today=DAY + timedelta(days=1))
    assert [r["status"] for r in later_that_week["chat"]] == ["already_posted"]
    assert len(http_sink.posts) == 1
    _, payload = http_sink.posts[0]
    assert payload["title"] == "Stakeholder update — Sprint 1"
    stakeholder_email(today=DAY, ad_hoc=True)
    assert len(http_sink.posts) == 2


def test_a_failure_alert_is_posted_once_per_run(
    db_url: str, http_sink: HttpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.hooks import notify_failure

    configure(monkeypatch, http_sink.url())
    flow = SimpleNamespace(name="daily_summary")
    run = SimpleNamespace(id=uuid.uuid4(), name="daily-summary-2026-11-03", parent_task_run_id=None)
    state = SimpleNamespace(message="Flow run encountered an exception: RuntimeError: boom")
    notify_failure(flow, run, state)
    notify_failure(flow, run, state)
    [(_, payload)] = http_sink.posts
    assert payload["title"] == "Conductor: a flow run failed"
    assert payload["message"].startswith(
        "flow daily_summary run daily-summary-2026-11-03 failed: "
        "Flow run encountered an exception: RuntimeError: boom"
    )
    subflow = SimpleNamespace(id=uuid.uuid4(), name="sub", parent_task_run_id=uuid.uuid4())
    notify_failure(flow, subflow, state)
    assert len(http_sink.posts) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failed_flow_run_posts_an_alert(
    prefect_harness: None, db_url: str, http_sink: HttpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect import flow

    from flows.hooks import notify_failure

    configure(monkeypatch, http_sink.url())

    @flow(name="doomed", on_failure=[notify_failure])
    def doomed() -> None:
        raise RuntimeError("the disk is full")

    state = doomed(return_state=True)
    assert state.is_failed()
    [(_, payload)] = http_sink.posts
    assert payload["message"].startswith("flow doomed run ")
    assert "the disk is full" in payload["message"]
