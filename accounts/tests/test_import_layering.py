"""accounts is the bottom layer under competency (docs/architecture.md): competency imports
accounts (roles, permissions, staff IDs, positions), so accounts imports nothing from
competency, not even inside a function. Tests may (they build whole scenarios), and so may
management commands — the benchmark's population (bench_population) fills every app — as
in tests/test_app_graph.py's OUTSIDE_THE_RULE."""

import ast
from pathlib import Path

import accounts

ACCOUNTS = Path(accounts.__file__).resolve().parent
FORBIDDEN = "competency"


def _non_test_modules() -> list[Path]:
    return sorted(
        path
        for path in ACCOUNTS.rglob("*.py")
        if not {"tests", "management"} & set(path.relative_to(ACCOUNTS).parts)
    )


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append((node.lineno, node.args[0].value))
    return names


def competency_imports_in(source: str) -> list[tuple[int, str]]:
    return [
        (line, name)
        for line, name in _imported_names(ast.parse(source))
        if name == FORBIDDEN or name.startswith(FORBIDDEN + ".")
    ]


def test_the_check_sees_every_kind_of_import():
    source = (
        "import competency\n"
        "import competency.models as m\n"
        "from competency.models import QSortRound\n"
        "def f():\n"
        "    from competency import services\n"
        "    importlib.import_module('competency.demo_qsort')\n"
        "from accounts.models import Position\n"
        "import competency_tools\n"
    )
    assert [line for line, _ in competency_imports_in(source)] == [1, 2, 3, 5, 6]


def test_accounts_modules_outside_tests_import_nothing_from_competency():
    modules = _non_test_modules()
    assert ACCOUNTS / "models.py" in modules and ACCOUNTS / "demo.py" in modules
    found = {
        f"{path.relative_to(ACCOUNTS.parent)}:{line}": name
        for path in modules
        for line, name in competency_imports_in(path.read_text(encoding="utf-8"))
    }
    assert found == {}
