"""Alembic migrations for Conductor's schema (`versions/`, one file per change).

`models.db.get_engine` applies them up to head the first time a database is opened;
`conductor db upgrade` does the same by hand. A new table or column means a new revision here
and the matching SQLModel change in `models/`.
"""
