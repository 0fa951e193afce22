"""The layering of the architecture (README "Layout"; shared docs: architecture §3), checked on every
module's imports, including imports inside functions:

    domain → store → backend → sync → ui → app        collab beside sync; tjv_sandbox apart

- each layer imports only the layers before it (``collab`` may use ``backend`` and ``domain``; ``sync``
  and ``ui`` never import ``collab`` except ``ui``, which shows sessions);
- Qt only in ``ui`` and ``app``; the Supabase client libraries only in ``backend``; settings only in
  ``app``; the sandbox never imported by the app, and the sandbox never imports the app;
- priority and alert-state literals are defined only in ``domain/alerts.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tjv_desktop"
SANDBOX = ROOT / "tjv_sandbox"
QT = ("PySide6", "pyqtgraph", "qasync", "shiboken6")
SUPABASE = ("supabase", "supabase_auth", "supabase_functions", "realtime", "postgrest", "gotrue", "storage3")
# What each layer may import from the app (``tasks`` is a stdlib-only helper every layer may use).
ALLOWED = {
    "domain": {"domain"},
    "store": {"domain", "store"},
    "backend": {"domain", "backend", "tasks"},
    "sync": {"domain", "store", "backend", "sync", "tasks"},
    "collab": {"domain", "backend", "collab", "tasks"},
    "ui": {"domain", "store", "backend", "sync", "collab", "ui", "tasks"},
    "app": {"domain", "store", "backend", "sync", "collab", "ui", "app", "tasks"},
    "tasks": set(),
    "__init__": set(),
}
QT_ALLOWED = {"ui", "app"}
SUPABASE_ALLOWED = {"backend"}
PRIORITIES = {"high", "medium", "low"}
STATES = {"active", "acknowledged", "accepted", "rejected", "resolved"}


def imports_of(path: Path, package: Path = PACKAGE) -> set[str]:
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
            relative = ".".join(base.relative_to(package.parent).parts + ((node.module,) if node.module else ()))
            names.add(relative)
            names |= {f"{relative}.{alias.name}" for alias in node.names if not node.module}
    return names


def modules(package: Path = PACKAGE) -> list[tuple[str, Path]]:
    """(layer, path): the first folder under the package, or the module's own name at the top."""
    found = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).parts
        found.append((parts[0] if len(parts) > 1 else path.stem, path))
    return found


def app_layers(names: set[str]) -> set[str]:
    """The layers of tjv_desktop that ``names`` reach (the package's own ``__version__`` is no layer)."""
    return {n.split(".")[1] for n in names if n.startswith("tjv_desktop.")} & set(ALLOWED)


def roots(names: set[str], of: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in of)


def test_the_scan_sees_the_layout():
    layers = {layer for layer, _ in modules()}
    assert {"domain", "store", "backend", "sync", "collab", "ui", "app"} <= layers
    assert roots(imports_of(PACKAGE / "ui" / "main_window.py"), QT), "the scan must see Qt where it is"
    assert roots(imports_of(PACKAGE / "backend" / "auth.py"), SUPABASE), "and supabase where it is"
    assert "domain" in app_layers(imports_of(PACKAGE / "store" / "commands.py")), "and relative imports"


def test_each_layer_imports_only_the_layers_before_it():
    offenders = [(str(p.relative_to(PACKAGE)), sorted(app_layers(imports_of(p)) - ALLOWED[layer]))
                 for layer, p in modules() if app_layers(imports_of(p)) - ALLOWED[layer]]
    assert offenders == []


def test_qt_only_in_the_user_interface_and_the_wiring():
    offenders = [(str(p.relative_to(PACKAGE)), roots(imports_of(p), QT)) for layer, p in modules()
                 if layer not in QT_ALLOWED and roots(imports_of(p), QT)]
    assert offenders == []


def test_supabase_client_libraries_only_in_the_backend():
    offenders = [(str(p.relative_to(PACKAGE)), roots(imports_of(p), SUPABASE)) for layer, p in modules()
                 if layer not in SUPABASE_ALLOWED and roots(imports_of(p), SUPABASE)]
    assert offenders == []


def test_settings_are_read_only_in_the_wiring():
    offenders = [str(p.relative_to(PACKAGE)) for layer, p in modules()
                 if layer != "app" and any(n.startswith("tjv_desktop.app") for n in imports_of(p))]
    assert offenders == []


def test_the_app_never_imports_the_sandbox():
    app = [str(p.relative_to(PACKAGE)) for _, p in modules() if roots(imports_of(p), ("tjv_sandbox",))]
    assert app == []


def test_the_sandbox_never_imports_the_app():
    """The sandbox has its own rules; the database does the clinical work, so a NEWS2 bug in the client
    cannot hide behind the sandbox scoring with the same code."""
    sandbox = [str(p.relative_to(SANDBOX)) for _, p in modules(SANDBOX)
               if roots(imports_of(p, SANDBOX), ("tjv_desktop",))]
    assert sandbox == []


def _literal_sets(path: Path):
    """Every Literal[...], set, tuple, list or dict display made only of string constants."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        elements = None
        if isinstance(node, ast.Subscript) and getattr(node.value, "id", "") == "Literal":
            elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        elif isinstance(node, ast.Set | ast.Tuple | ast.List):
            elements = node.elts
        elif isinstance(node, ast.Dict):
            elements = [k for k in node.keys if k is not None]
        if elements and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elements):
            yield node.lineno, {e.value for e in elements}


def test_priority_and_state_vocabularies_are_spelled_only_in_domain_alerts():
    home = PACKAGE / "domain" / "alerts.py"
    assert any(values == PRIORITIES for _, values in _literal_sets(home)) or "Priority(StrEnum)" in home.read_text()
    offenders = []
    for _, path in modules():
        if path == home:
            continue
        for line, values in _literal_sets(path):
            if len(values) >= 2 and (values <= PRIORITIES or values <= STATES):
                offenders.append(f"{path.relative_to(PACKAGE)}:{line} {sorted(values)}")
    assert offenders == []
