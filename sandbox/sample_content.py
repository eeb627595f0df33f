"""What the generated sample workspace contains: statuses, priorities, tags, the sprint calendar,
the people, and the words ticket titles and descriptions are made of."""

from __future__ import annotations

from datetime import date

from sandbox.records import (
    COMPLETE_GROUP,
    IN_PROGRESS_GROUP,
    TODO_GROUP,
)

#: Status options of the Tickets data source, by group, in Notion's display order.
TICKET_STATUSES: dict[str, tuple[str, ...]] = {
    TODO_GROUP: ("Backlog", "Todo"),
    IN_PROGRESS_GROUP: ("In Progress", "In Review", "Blocked"),
    COMPLETE_GROUP: ("Done", "Won't Do"),
}
#: Status options of the Sprints data source, by group.
SPRINT_STATUSES: dict[str, tuple[str, ...]] = {
    TODO_GROUP: ("Planned",),
    IN_PROGRESS_GROUP: ("Active",),
    COMPLETE_GROUP: ("Completed",),
}
PRIORITIES = ("P0", "P1", "P2", "P3")
TAGS = (
    "backend",
    "frontend",
    "infra",
    "bug",
    "tech-debt",
    "customer",
    "security",
    "docs",
    "mobile",
    "data",
)
TICKET_KEY_PREFIX = "ENG"
SPRINT_LENGTH_DAYS = 14
#: A Monday; sprint numbers count from here so a sprint keeps its name from one day to the next.
SPRINT_ANCHOR = date(2025, 3, 3)
PAST_SPRINTS = 6
#: From this many tickets on, the generated records are exempted from cyclic GC (see `build_sample_workspace`).
GC_FREEZE_THRESHOLD = 10_000
#: Titles a real workspace eventually contains; stored verbatim so parsers and templates meet them.
HOSTILE_TITLES: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "Null\x00byte, bell\x07, escape \x1b[31mred\x1b[0m and a\ttab",
    "Line one\nline two\r\nline three",
    "🚀 Ship dark mode 🌙 — finally ✨ 👩\u200d💻",
    "إصلاح خطأ تسجيل الدخول عبر Google",
    "תיקון באג בעמוד התשלום",
    "Robert'); DROP TABLE tickets;--",
    "",
    ("Investigate intermittent timeouts in the payment reconciliation batch job " * 41)[:3000],
    "   leading and trailing spaces   ",
)
EPIC_TITLE = "Epic: Migrate billing to usage-based pricing"
EPIC_RELATED_COUNT = 30

_PEOPLE = (
    "Priya Raman",
    "Marcus Chen",
    "Zoë Ångström",
    "Diego Alvarez",
    "Hannah Okafor",
    "Tomasz Nowak",
    "Aisha Bello",
    "Liam O'Connor",
    "Sofia Rossi",
    "Kenji Watanabe",
    "Fatima Haddad",
    "Noah Williams",
)
_EMAIL_DOMAIN = "acme.dev"
_WORKSPACE_NAME = "Acme Engineering"
_VERBS = (
    "Fix",
    "Add",
    "Refactor",
    "Investigate",
    "Migrate",
    "Remove",
    "Update",
    "Improve",
    "Document",
    "Spike:",
    "Implement",
    "Harden",
)
_OBJECTS = (
    "flaky checkout test",
    "rate limiting for webhooks",
    "dark mode toggle",
    "CSV export of invoices",
    "SSO login with Okta",
    "invoice PDF rendering",
    "search indexing job",
    "onboarding email sequence",
    "audit log retention",
    "push notifications",
    "password reset flow",
    "feature flag cleanup",
    "Postgres connection pooling",
    "GraphQL pagination",
    "S3 upload retries",
    "billing usage meter",
    "team invitation emails",
    "API key rotation",
    "dashboard load time",
    "timezone handling in reports",
    "Slack integration",
    "error tracking alerts",
    "Kubernetes HPA settings",
    "data warehouse sync",
)
_CONTEXTS = (
    "",
    "",
    "",
    " on Safari",
    " in the admin console",
    " for EU customers",
    " (customer escalation)",
    " behind a feature flag",
    " on Android",
    " for enterprise plan",
    " before the Q4 launch",
)
_DESCRIPTIONS = (
    "Repro steps are in the linked support thread.",
    "Customer-facing; keep the old behaviour behind a flag until rollout is done.",
    "Acceptance: covered by an integration test and visible in the staging dashboard.",
    "Happens roughly once a day in CI, never locally.",
    "Follow-up from the incident review last week.",
    "Needs a migration; coordinate with the data team before merging.",
    "Small change, but touches the public API: update the changelog.",
)
