"""config is two things (docs/architecture.md): the project's wiring — urls, wsgi, asgi, which
import the apps and which no app imports — and the bottom layer every app builds on (errors,
locks, caches, exports, diffs, trees, charts…), which imports no app, not even inside a
function. Together that keeps config out of every cycle."""

import ast
from pathlib import Path

import pytest

import config
from accounts.tests.test_no_upward_imports import UPPER_APPS, _modules

CONFIG = Path(config.__file__).parent
APPS = UPPER_APPS | {"accounts"}
WIRING = {"urls.py", "wsgi.py", "asgi.py"}
ROOT = CONFIG.parent


def _imports(path: Path) -> list[str]:
    """The modules ``path`` imports; for ``from a import b`` also ``a.b`` (b may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [module for module, _line in _modules(tree)]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def test_the_bottom_of_config_imports_no_app():
    found = [
        f"config/{path.name} imports {module}"
        for path in sorted(CONFIG.glob("*.py"))
        if path.name not in WIRING
        for module in _imports(path)
        if module.split(".")[0] in APPS
    ]
    assert found == []


@pytest.mark.parametrize("app", sorted(APPS))
def test_no_app_imports_the_wiring(app):
    wiring = {f"config.{name.removesuffix('.py')}" for name in WIRING}
    found = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / app).rglob("*.py"))
        if "tests" not in path.relative_to(ROOT).parts
        for module in _imports(path)
        if module in wiring or any(module.startswith(w + ".") for w in wiring)
    ]
    assert found == []
