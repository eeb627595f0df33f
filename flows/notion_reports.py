"""Tasks that publish the daily summary and the sprint report into Notion, and the one rule for
running them inside the `daily_summary` and `sprint_rollup` flows.

They run only with `CONDUCTOR_NOTION_REPORTS_PAGE_ID` set. No Prefect retries: the Notion client
already retries what may succeed later (429 with `Retry-After`, 5xx/529, timeouts); what is left
(a 400, a page not shared with the integration) needs a person, not another attempt.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import Task, task
from prefect.artifacts import create_link_artifact

from models.settings import get_settings
from tasks.notion import report_pages


@task(name="publish-summary-to-notion", retries=0)
def publish_summary_to_notion(day: date, text: str) -> dict[str, Any] | None:
    """`tasks.notion.report_pages.publish_daily_summary`: the day's page under the reports page."""
    return _linked(report_pages.publish_daily_summary(day, text, get_settings()), "daily-summary")


@task(name="publish-sprint-report-to-notion", retries=0)
def publish_sprint_report_to_notion(report: dict[str, Any]) -> dict[str, Any] | None:
    """`tasks.notion.report_pages.publish_sprint_report`: the sprint's page, updated in place."""
    return _linked(report_pages.publish_sprint_report(report, get_settings()), "sprint-report")


def _linked(result: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    """A link artifact to the published page, so the run in the UI leads to it."""
    if result:
        create_link_artifact(
            key=f"notion-{kind}",
            link=result["url"],
            link_text=result["title"],
            description=f"{result['title']} in Notion ({result['action']})",
        )
    return result


def publish_if_configured(
    publish: Task[..., dict[str, Any] | None], *args: Any, what: str, logger: Any
) -> dict[str, Any] | None:
    """Run a publish task when a reports page is configured, without failing the flow.

    A failed publish leaves its task run Failed in the Prefect UI and one warning line in the
    flow's log, and the flow goes on: the summary and the report exist without their Notion copy
    (and the failure is recorded on its `NotionPublication` row). Returns the task's result,
    `{"error": …}` on failure, None when no reports page is configured.
    """
    if not get_settings().notion_reports_page_id:
        return None
    state = publish(*args, return_state=True)
    if not state.is_completed():
        error = state.result(raise_on_failure=False)
        logger.warning("%s not published to Notion: %s", what, error)
        return {"error": str(error)}
    result = state.result()
    if result:
        logger.info(
            "%s in Notion: %s (%s, %d requests)",
            what,
            result["url"],
            result["action"],
            result["requests"],
        )
    return result
