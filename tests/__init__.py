"""Conductor's test suite: `uv run pytest` runs all of it.

`conftest.py` holds the shared fixtures (the pinned "today", one database per backend,
PostgreSQL and Redis services that fail under CI instead of skipping), `factories/` builds rows
and the sample workspace, and the `*_live.py` and `test_kill_recovery.py` files start real
Prefect servers and kill real processes. Remote services are stood in for by local servers the
tests start (the Notion sandbox, an OpenAI-compatible stub, an SMTP server).
"""
