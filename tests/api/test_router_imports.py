"""Routers stand alone: no router imports another one (shared helpers live in service/api)."""

from __future__ import annotations

import ast
from pathlib import Path

import service.api.routers

ROUTERS = Path(service.api.routers.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Absolute module names a file imports ("from a.b import c" counts a.b and a.b.c)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = "." * node.level + node.module
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom):  # from . import x
            names.update("." * node.level + alias.name for alias in node.names)
    return names


def test_no_router_imports_another_router():
    routers = {p.stem for p in ROUTERS.glob("*.py") if p.stem != "__init__"}
    assert {"datasets", "jobs", "models"} <= routers
    crossing = {}
    for path in sorted(ROUTERS.glob("*.py")):
        for name in imported_modules(path):
            last = name.rsplit(".", 1)[-1]
            relative = name.startswith(".")
            if (name.startswith("service.api.routers.") or relative) and last in routers:
                crossing.setdefault(path.name, set()).add(name)
    assert not crossing, f"routers import other routers: {crossing}"
