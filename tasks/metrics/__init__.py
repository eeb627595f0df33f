"""Sprint numbers and their pictures: scope and completion from SQL aggregates (`scope`),
per-status/person/priority breakdowns (`breakdown`), daily snapshots for history and burndown
(`snapshots`), working-day calendars (`calendar`), the report dict of `conductor sprint --json`
(`report`), the burndown chart (`charts`) and the sprint's HTML page (`html_report`).

The numbers are defined in docs/design.md §5. Computing them never needs Prefect; the rollup
flow decides when they are recorded and published.
"""
