"""The agent HTTP API (FastAPI): read endpoints over the stored data, search and grounded chat.

What belongs here is HTTP only: building the app (`main`), the per-request dependencies —
settings, a database session, bearer-token auth — (`deps`), and one router per resource
(`routes/`). Routes stay thin: they parse and validate the request, call the logic in `models/`
and `tasks/`, and shape the JSON; anything a CLI command or a flow could also need lives there,
not here. `conductor api` serves `create_app(settings)` with uvicorn after `check_bind`.
"""

from api.main import check_bind, create_app

__all__ = ["check_bind", "create_app"]
