"""Retry conditions for Prefect tasks: retry what can succeed later, nothing else.

Transient: a remote service still failing after its client's own retries (Notion 429/5xx,
timeouts), a dropped database connection. Never: bad tokens, 4xx, configuration errors, bugs —
retrying those only delays the one-line error the user needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import OperationalError

RetryCondition = Callable[[Any, Any, Any], bool]


def retry_when(is_transient: Callable[[BaseException], bool]) -> RetryCondition:
    """A Prefect `retry_condition_fn` that retries only when `is_transient(exception)`."""

    def condition(_task: Any, _task_run: Any, state: Any) -> bool:
        try:
            state.result()
        except Exception as exc:  # the failed run's exception, classified below
            return is_transient(exc)
        return False

    return condition


def retry_on(*transient: type[BaseException]) -> RetryCondition:
    """Retry only on these exception types."""
    return retry_when(lambda exc: isinstance(exc, transient))


#: Database connection lost or locked: the same statement can succeed on the next attempt.
retry_on_database_hiccup = retry_on(OperationalError)
