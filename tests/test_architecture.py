"""The layering rules of the architecture (docs: architecture §3), checked on every module's imports,
including imports inside functions: Qt only in the user interface and the wiring; the Supabase client
libraries only in ``backend/`` (and the sandbox's own server code); the sandbox never uses the UI.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tjv_desktop"
QT = ("PySide6", "pyqtgraph", "qasync", "shiboken6")
SUPABASE = ("supabase", "supabase_auth", "supabase_functions", "realtime", "postgrest", "gotrue", "storage3")
# Packages that must stay free of Qt (no widgets, no event loop of Qt's).
QT_FREE = ("domain", "store", "sync", "backend", "collab")
# Where the Supabase client libraries may be imported.
SUPABASE_ALLOWED = ("backend",)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            base = path.parent
            for _ in range(node.level - 1):
                base = base.parent
            relative = ".".join(base.relative_to(PACKAGE.parent).parts + ((node.module,) if node.module else ()))
            names.add(relative)
    return names


def modules() -> list[tuple[str, Path]]:
    """(layer, path): the layer is the first folder under tjv_desktop/ ('' for top-level modules)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        found.append((parts[0] if len(parts) > 1 else "", path))
    return found


def uses(names: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in roots)


def test_the_scan_sees_the_package():
    layers = {layer for layer, _ in modules()}
    assert {"domain", "store", "sync", "backend", "collab", "ui", "app"} <= layers
    assert uses(imports_of(PACKAGE / "ui" / "main_window.py"), QT), "the scan must see Qt where it is"
    assert uses(imports_of(PACKAGE / "backend" / "auth.py"), SUPABASE), "and supabase where it is"


def test_qt_only_in_the_user_interface_and_the_wiring():
    offenders = [(str(p.relative_to(PACKAGE)), uses(imports_of(p), QT)) for layer, p in modules()
                 if layer in QT_FREE and uses(imports_of(p), QT)]
    assert offenders == []


def test_supabase_client_libraries_only_in_backend_and_the_sandbox():
    offenders = [(str(p.relative_to(PACKAGE)), uses(imports_of(p), SUPABASE)) for layer, p in modules()
                 if layer not in SUPABASE_ALLOWED and uses(imports_of(p), SUPABASE)]
    assert offenders == []


def test_the_app_never_imports_the_sandbox():
    offenders = [str(p.relative_to(PACKAGE)) for _, p in modules()
                 if any(n.split(".")[0] == "tjv_sandbox" for n in imports_of(p))]
    assert offenders == []


def test_the_lower_layers_never_import_the_user_interface():
    offenders = [(str(p.relative_to(PACKAGE)), sorted(n for n in imports_of(p) if n.startswith("tjv_desktop.ui")))
                 for layer, p in modules() if layer in QT_FREE
                 and any(n.startswith("tjv_desktop.ui") for n in imports_of(p))]
    assert offenders == []
