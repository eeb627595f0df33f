"""Flow `daily_summary`: the day's facts → a model-written (or template) summary → stored.

The model task is cached by Prefect on the facts and the model configuration, so re-running an
unchanged day makes no model call at all; LiteLLM's response cache catches identical requests
beyond that. When no model is configured, or none answers, the deterministic template summary
is used and the flow still completes (with a warning), because a summary late or missing is
worse than a plain one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import CacheKeyFnPolicy
from prefect.context import TaskRunContext
from prefect.runtime import flow_run

from flows.chat import post_summary_to_chat
from flows.hooks import notify_failure
from flows.notion_reports import publish_if_configured, publish_summary_to_notion
from models import clock
from models.settings import get_settings
from tasks.caching import shared_cache_options
from tasks.summary import daily
from tasks.summary.writer import model_config, write_with_template


def _run_name() -> str:
    day = flow_run.parameters.get("day") or clock.local_today(get_settings().tz)
    return f"daily-summary-{day}"


def _summary_cache_key(_context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Same facts + same model configuration → same summary, without asking the model again."""
    payload = json.dumps(
        {"facts": parameters["facts"], "config": parameters["config"]},
        sort_keys=True,
        default=str,
    )
    return "daily-summary-" + hashlib.sha256(payload.encode()).hexdigest()


@task(name="gather-facts", task_run_name="gather facts — {day}")
def gather_facts(day: date) -> dict[str, Any]:
    """What changed on `day` (team time zone), from SQL."""
    return daily.gather_facts(day, get_settings())


@task(
    name="write-summary-with-llm",
    task_run_name="write summary with the LLM — {facts[date]}",
    cache_policy=CacheKeyFnPolicy(cache_key_fn=_summary_cache_key),
    cache_expiration=timedelta(days=7),
    persist_result=True,
)
def write_llm_summary(facts: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """`tasks.summary.daily.write_llm_summary`; raises when no model gives an acceptable answer.

    `config` is not read here; it is a parameter so the cache key covers it. Failures raise
    (and so are never cached): the next run tries the model again.
    """
    return daily.write_llm_summary(facts, get_settings())


@task(name="store-summary", task_run_name="store summary — {day}")
def store_summary(day: date, facts: dict[str, Any], outcome: dict[str, Any]) -> None:
    """Upsert the day's `Summary` row: regenerating a day replaces it."""
    daily.store_summary(day, facts, outcome, get_settings())


@task(name="publish-summary", task_run_name="publish summary — {day}")
def publish_summary(day: date, text: str) -> str:
    """Write `$CONDUCTOR_OUTPUT_DIR/summaries/<date>.md` and a Prefect markdown artifact."""
    path = daily.write_summary_file(day, text, get_settings().output_dir)
    create_markdown_artifact(
        markdown=daily.summary_markdown(text),
        key="daily-summary",
        description=f"Daily summary for {day.isoformat()}",
    )
    return str(path)


@flow(
    name="daily_summary",
    flow_run_name=_run_name,
    log_prints=True,
    timeout_seconds=1800,
    on_failure=[notify_failure],
)
def daily_summary(day: date | None = None) -> dict[str, Any]:
    """Summarise `day` (default: today in CONDUCTOR_TIMEZONE); returns docs/design.md §3 `summary --json`."""
    logger = get_run_logger()
    settings = get_settings()
    day = day or clock.local_today(settings.tz)
    facts = gather_facts(day)
    config = model_config(settings)
    if not config["models"]:
        # Info, not a warning: the summary is labelled as a template and the CLI says why.
        logger.info("No LLM configured (CONDUCTOR_LLM_MODEL): using the template summary")
        outcome = write_with_template(facts, "no LLM configured")
    else:
        write = write_llm_summary.with_options(**shared_cache_options(settings, _summary_cache_key))
        state = write(facts, config, return_state=True)
        if state.is_completed():
            outcome = state.result()
            if state.name == "Cached":
                outcome = {**outcome, "cached": True, "cost_usd": 0.0}
        else:
            error = state.result(raise_on_failure=False)
            logger.warning("LLM summary unavailable (%s): using the template summary", error)
            outcome = write_with_template(facts, "the LLM was unavailable")
    store_summary(day, facts, outcome)
    publish_summary(day, outcome["text"])
    publish_if_configured(
        publish_summary_to_notion, day, outcome["text"], what="Daily summary", logger=logger
    )
    if settings.notify_urls:
        post_summary_to_chat(day, outcome["text"], outcome["generated_by"])
    return daily.summary_result(day, facts, outcome)


if __name__ == "__main__":
    from deployments import serve_deployments

    serve_deployments(get_settings().timezone, names=["daily-summary"])
