"""accounts is the bottom layer (docs/architecture.md): every app imports it, so it imports
none of them — not at module level, not inside a function. What the home page, the dashboard
API and the first-day guide and sandbox show of the other apps, those apps register
(accounts.home, accounts.onboarding). Tests, migrations, demo data and management commands
are outside the rule."""

import ast
from pathlib import Path

import accounts

ACCOUNTS = Path(accounts.__file__).parent
UPPER_APPS = {
    "casebase",
    "competency",
    "curriculum",
    "knowledgebase",
    "points",
    "promotion",
    "review",
}
OUTSIDE_THE_RULE = {"tests", "migrations", "management"}
# (file, imported module) still allowed: none since Position moved into accounts.
ALLOWED: set[tuple[str, str]] = set()
IMPORTERS = {"import_module", "import_string"}


def _modules(tree: ast.AST):
    """Every absolute module an ``import``, ``from … import`` or import_module/import_string
    call with a literal name in ``tree`` asks for, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            arg = node.args[0]
            if name in IMPORTERS and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value, node.lineno


def upward_imports(root: Path = ACCOUNTS) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in OUTSIDE_THE_RULE or relative.name == "demo.py":
            continue
        for module, line in sorted(
            _modules(ast.parse(path.read_text(encoding="utf-8"))), key=lambda m: m[1]
        ):
            if module.split(".")[0] in UPPER_APPS and (str(relative), module) not in ALLOWED:
                found.append(f"accounts/{relative}:{line} imports {module}")
    return found


def test_accounts_imports_none_of_the_apps_above_it():
    assert upward_imports() == []


def test_the_check_sees_module_level_lazy_and_dynamic_imports(tmp_path):
    (tmp_path / "views.py").write_text(
        "import points.selectors\n"
        "from review.models import Proposal\n"
        "def f():\n"
        "    from promotion import selectors\n"
        "    return import_module('casebase.models')\n"
        "from accounts import roles\n"
        "from . import home\n"
    )
    (tmp_path / "demo.py").write_text("from competency.models import Position\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("from curriculum import selectors\n")
    assert upward_imports(tmp_path) == [
        "accounts/views.py:1 imports points.selectors",
        "accounts/views.py:2 imports review.models",
        "accounts/views.py:4 imports promotion",
        "accounts/views.py:5 imports casebase.models",
    ]
