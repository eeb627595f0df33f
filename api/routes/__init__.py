"""One `APIRouter` per resource, each named after the path it serves; `api.main` includes them.

Handlers are thin: validate, call `models/` or `tasks/`, shape the JSON. Auth is not declared
here — `create_app` applies it to every router.
"""
