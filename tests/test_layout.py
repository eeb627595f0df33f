"""The layout rules the README's architecture section states, checked on the source tree."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> Iterator[tuple[str, ast.ImportFrom | ast.Import]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom | ast.Import):
                yield str(path.relative_to(ROOT)), node


def test_tasks_declare_no_prefect_task_or_flow() -> None:
    """`tasks/` holds plain functions; the flow modules declare the `@task` wrappers."""
    offenders = [
        where
        for where, node in _imports("tasks")
        if isinstance(node, ast.ImportFrom)
        and node.module == "prefect"
        and {alias.name for alias in node.names} & {"task", "flow"}
    ]
    assert offenders == []


def test_models_and_the_sandbox_import_nothing_above_them() -> None:
    """`models/` is the bottom layer; the sandbox models Notion and knows none of our code."""
    above = {"models": ("tasks", "flows", "api", "cli", "sandbox"),
             "sandbox": ("tasks", "flows", "api", "cli", "models")}  # fmt: skip
    offenders = []
    for package, forbidden in above.items():
        for where, node in _imports(package):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
            )
            if any(name.split(".")[0] in forbidden for name in names):
                offenders.append(f"{where}: {names}")
    assert offenders == []


def test_every_table_is_registered_and_named_once() -> None:
    """`models.TABLE_NAMES` (what `from models import X` resolves) names exactly the tables on
    `SQLModel.metadata` once `models.tables` is imported."""
    from sqlmodel import SQLModel

    import models
    import models.tables as tables

    classes = {name: getattr(tables, name) for name in models.TABLE_NAMES}
    assert {cls.__tablename__ for cls in classes.values()} == set(SQLModel.metadata.tables)
