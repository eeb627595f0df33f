"""A log message carrying Notion text is one line, whatever the text holds (issue 15, item 8).

A sprint named `S1\\nINFO tasks.notion.sync: all tickets deleted` would otherwise print a
second, forged log line. The escaping is installed by importing `models`, at record creation,
so it also covers loggers and handlers nobody configured for it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from prefect.logging.loggers import PrefectLogAdapter

import models  # noqa: F401  (installs the escaping, as every entry point does)

FORGED = "S1\r\nINFO tasks.notion.sync: all tickets deleted\x1b[2J\u2028x"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What a plain stream handler on the root logger writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.parametrize(
    "name", ["tasks.metrics.rollup", "flows.sprint_rollup", "conductor.alerts"]
)
def test_untrusted_text_in_our_log_messages_stays_on_one_line(
    lines: io.StringIO, name: str
) -> None:
    logging.getLogger(name).warning("sprint %s has no dates", FORGED)
    assert lines.getvalue() == (
        f"WARNING {name}: sprint S1\\r\\nINFO tasks.notion.sync: all tickets deleted"
        "\\x1b[2J\\u2028x has no dates\n"
    )


def test_prefect_run_loggers_are_escaped_too(lines: io.StringIO) -> None:
    # get_run_logger() is an adapter over `prefect.flow_runs` / `prefect.task_runs`.
    adapter = PrefectLogAdapter(logging.getLogger("prefect.flow_runs"), extra={})
    logger = logging.getLogger("prefect.flow_runs")
    old_propagate, logger.propagate = logger.propagate, True
    try:
        adapter.info("%s: on_track", FORGED)
    finally:
        logger.propagate = old_propagate
    [line] = lines.getvalue().splitlines()
    assert line.startswith("INFO prefect.flow_runs: S1\\r\\nINFO tasks.notion.sync")


def test_other_libraries_log_records_are_left_alone(lines: io.StringIO) -> None:
    logging.getLogger("httpx").warning("two\nlines")
    assert lines.getvalue() == "WARNING httpx: two\nlines\n"
