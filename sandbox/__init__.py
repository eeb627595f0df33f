"""A local model of Notion's API: the sandbox server and the generated workspace it serves.

What belongs here: everything that imitates *Notion* — its REST API (Notion-Version 2025-09-03),
its JSON shapes, errors, limits and quirks — so that `conductor demo` runs with no network and no
account, and the tests drive the real `notion_client.Client` against something that behaves like
Notion. It models Notion, not Conductor: nothing here imports `tasks/`, `flows/`, `models/` or
`api/`, and a change to how Conductor syncs never needs a change here.

What does not belong here: the code that talks to real Notion (`tasks/notion/`: client, property
parsers, mapping, sync), Conductor's settings, and test helpers (fixtures live in `tests/`).

Modules:

- `records` — value forms and records (users, options, schemas, pages, data sources, databases)
- `workspace` — `Workspace`, the in-memory container with its clock and validated writes
- `sample`, `sample_content`, `sample_history` — `build_sample_workspace`, the seeded generator
- `protocol` — wire conventions: version, `ApiError` bodies, ids, timestamps, cursors
- `rendering` — records → Notion JSON
- `query` — filters and sorts compiled into predicates and sort keys
- `writes` — Notion's property write format → the workspace's value forms
- `endpoints` — one method per route; `faults` — queued errors and the rate limiter
- `content`, `content_endpoints`, `content_limits` — pages under pages (`Sandbox.reports_page_id`),
  their blocks (append / list / delete, paginated) and Notion's request size limits
- `server` — `Sandbox`, `start_sandbox` and `main` (`python -m sandbox.server --port 8765`);
  `handler` — the HTTP request handler

Behaviour worth knowing (each is how Notion behaves, or the closest honest approximation):

- Query cursors are opaque keyset cursors: paging stays consistent while pages are edited (an
  edited page may be seen twice, never skipped). Without `sorts`, results are ordered by
  `created_time` ascending. Trashed pages never appear in query results.
- Supported query filters: `timestamp` filters on `created_time` / `last_edited_time`, property
  filters on title, rich_text, number, unique_id, select, status, multi_select, people,
  created_by, relation and date, and `and` / `or` compounds of those (nested at most two deep). Date conditions: `equals`,
  `before`, `after`, `on_or_before`, `on_or_after`, `is_empty`, `is_not_empty`; a date-only value
  means that whole UTC day. Anything else is answered with 400 `validation_error`.
- One query (a filter + sort) returns at most `query_result_limit` results (Notion's 10,000; a
  test may set fewer): pagination then ends with `has_more: false` and every page of that
  response carries `request_status: {"type": "incomplete", "incomplete_reason":
  "query_result_limit_reached"}`. The rest is reachable only by changing the query.
- Page objects carry at most 25 relation items (`has_more: true` beyond that) and at most 25
  people per people property (with no sign that more exist); the full list comes from
  `GET /v1/pages/{id}/properties/{property_id}`, paginated.
- Pages listed in `partial_page_ids` appear in query results as partial objects
  (`{"object": "page", "id": …}`); `GET /v1/pages/{id}` answers them whole.
- Pages carry `in_trash` (and the older `archived` and `is_archived`, equal to it); trashed
  pages never appear in queries, and `GET /v1/pages/{id}` still answers them.
- A database may hold several data sources (`Workspace.add_data_source`).
- With `integration_can_read_users=False` (an integration without the "read user information"
  capability), `/v1/users` answers 403 and user objects inside pages are partial (`object`, `id`).
- Block input is held to Notion's size limits (≤ 2,000 characters per `text.content` and link
  URL, ≤ 100 rich-text items, ≤ 100 children per request, ≤ 1,000 block elements and 500 KB per
  payload), answered with 400 `validation_error` naming the offending path.
- Only `Notion-Version` 2025-09-03 (or later) is served; older versions get 400, since the
  sandbox cannot speak the pre-data-source shapes.
"""
