"""The engine is pure NumPy: it imports NumPy and the standard library only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import service.engine

ENGINE = Path(service.engine.__file__).parent


def test_engine_imports_numpy_and_the_standard_library_only():
    allowed = {"numpy", "__future__"} | set(sys.stdlib_module_names)
    found: dict[str, set[str]] = {}
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path.name)
    assert "numpy" in found
    outside = {name: files for name, files in found.items() if name not in allowed}
    assert not outside, f"the engine imports {outside}"
