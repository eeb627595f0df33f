"""Reading a data source completely although one Notion query stops at 10,000 results.

Why a module of its own: Notion ends a query after 10,000 results (`has_more: false`, and
`request_status: {"type": "incomplete", "incomplete_reason": "query_result_limit_reached"}` on
its pages); the rest can only be read by asking a different query. A scan is therefore a
sequence of *windows*, each one query, and this module decides what the next one asks:

1. Sorted by `last_edited_time` ascending, a capped answer ended at some edit minute `M`: the
   next window asks for `last_edited_time on_or_after M` (inclusive, since time stamps are
   truncated to the minute and the pages of minute `M` may be split by the cap; reading some
   twice costs nothing, every write is an idempotent upsert).
2. When a whole capped answer lies in one edit minute (a bulk edit or an import: a *flood*), an
   edit-time window cannot move on. That minute is read by `created_time` windows instead
   (ascending, the same inclusive step), then the scan continues after the minute.
3. When the pages of one edit minute were also *created* in one minute (a CSV import), that
   pair of minutes is read in `unique_id` order (`greater_than` the last number, which always
   moves on). Without a `unique_id` property the minute cannot be read whole: the scan goes on
   past it but is **incomplete**, so no removal is concluded from it.

Every window is ANDed with the plan's base filter (the incremental cursor, and the open-sprint
clause of `plan.py`), which Notion allows: one level of `and`/`or` nested in another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

MINUTE = timedelta(minutes=1)
EDITED, CREATED = "last_edited_time", "created_time"


@dataclass(frozen=True)
class QueryWindow:
    """One query of a scan. The default window is the whole (base-filtered) data source.

    `edited_from`: `last_edited_time` on or after it. `edited_minute`: only pages edited in that
    minute, read by `created_from` (on or after) in creation order; `created_minute` narrows to
    one creation minute too, read by the `unique_id` property after `number_after`.
    """

    edited_from: datetime | None = None
    edited_minute: datetime | None = None
    created_from: datetime | None = None
    created_minute: datetime | None = None
    number_after: int | None = None

    @property
    def order(self) -> str:
        """What the window is sorted by: `last_edited_time`, `created_time` or `unique_id`."""
        if self.edited_minute is None:
            return EDITED
        if self.created_minute is None:
            return CREATED
        return "unique_id"


@dataclass(frozen=True)
class NextWindow:
    """What follows a window: the next one (None: the scan is done), and whether the window
    just read was read whole (False only for a flood no order could split)."""

    window: QueryWindow | None
    whole: bool = True


def next_window(
    window: QueryWindow, *, capped: bool, last: Any, unique_id_property: str | None
) -> NextWindow:
    """The window after `window`, given whether its answer was cut by the result limit and the
    last sort value it returned (an edit/creation time, or a unique-id number)."""
    if not capped:
        if window.order == EDITED:
            return NextWindow(None)
        if window.order == CREATED:
            return NextWindow(QueryWindow(edited_from=_after(window.edited_minute)))
        return NextWindow(
            QueryWindow(
                edited_minute=window.edited_minute, created_from=_after(window.created_minute)
            )
        )
    if window.order == EDITED:
        if last is None:
            return NextWindow(None, whole=False)
        if window.edited_from is None or last > window.edited_from:
            return NextWindow(QueryWindow(edited_from=last))
        return NextWindow(QueryWindow(edited_minute=last))
    if window.order == CREATED:
        if last is not None and (window.created_from is None or last > window.created_from):
            return NextWindow(QueryWindow(edited_minute=window.edited_minute, created_from=last))
        if last is not None and unique_id_property is not None:
            return NextWindow(QueryWindow(edited_minute=window.edited_minute, created_minute=last))
        # No order left to split this minute by: read on past it, but the scan is not whole.
        return NextWindow(QueryWindow(edited_from=_after(window.edited_minute)), whole=False)
    if last is None:
        return NextWindow(
            QueryWindow(
                edited_minute=window.edited_minute, created_from=_after(window.created_minute)
            ),
            whole=False,
        )
    return NextWindow(
        QueryWindow(
            edited_minute=window.edited_minute,
            created_minute=window.created_minute,
            number_after=int(last),
        )
    )


def window_filter(
    window: QueryWindow, base: dict[str, Any] | None, unique_id_property: str | None
) -> dict[str, Any] | None:
    """The query `filter` of `window` within the plan's `base` filter (None: no filter)."""
    conditions: list[dict[str, Any]] = [base] if base else []
    if window.edited_from is not None:
        conditions.append(_timestamp(EDITED, "on_or_after", window.edited_from))
    if window.edited_minute is not None:
        conditions += _within_minute(EDITED, window.edited_minute)
    if window.created_from is not None:
        conditions.append(_timestamp(CREATED, "on_or_after", window.created_from))
    if window.created_minute is not None:
        conditions += _within_minute(CREATED, window.created_minute)
    if window.number_after is not None and unique_id_property is not None:
        conditions.append(
            {"property": unique_id_property, "unique_id": {"greater_than": window.number_after}}
        )
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"and": conditions}


def window_sorts(window: QueryWindow, unique_id_property: str | None) -> list[dict[str, Any]]:
    """The query `sorts` of `window`: ascending by what it steps through."""
    if window.order == "unique_id" and unique_id_property is not None:
        return [{"property": unique_id_property, "direction": "ascending"}]
    return [{"timestamp": window.order, "direction": "ascending"}]


def sort_value(page: dict[str, Any], window: QueryWindow, unique_id_property: str | None) -> Any:
    """Where `page` sits in `window`'s order (None if the page does not say, e.g. partial)."""
    if window.order == "unique_id":
        prop = (page.get("properties") or {}).get(unique_id_property or "") or {}
        number = (prop.get("unique_id") or {}).get("number")
        return number if isinstance(number, int) else None
    raw = page.get(window.order)
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def utc_iso(moment: datetime) -> str:
    """`moment` as Notion's ISO form in UTC (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _after(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment + MINUTE


def _timestamp(kind: str, operator: str, moment: datetime) -> dict[str, Any]:
    return {"timestamp": kind, kind: {operator: utc_iso(moment)}}


def _within_minute(kind: str, moment: datetime) -> list[dict[str, Any]]:
    return [_timestamp(kind, "on_or_after", moment), _timestamp(kind, "before", moment + MINUTE)]
