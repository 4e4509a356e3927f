"""The layers of the apps (docs/architecture.md), bottom up: a lower app never imports a
higher one — not at module level, not inside a function, not through import_module /
import_string with a literal name. What a lower app shows or does of a higher one, the
higher one registers from its AppConfig.ready() (accounts.home, points.desk, review.registry,
review.notices, review.ledger…).

Outside the rule: tests, migrations, demo data (demo.py) and management commands; and
config's wiring (urls, wsgi, asgi), which imports the apps and which no app imports
(tests/test_layers.py)."""

import ast
from pathlib import Path

from django.apps import apps

from accounts.tests.test_no_upward_imports import _modules
from tests.test_layers import ROOT, WIRING

LAYERS = (
    "config",
    "accounts",
    "competency",
    "review",
    "points",
    "knowledgebase",
    "casebase",
    "curriculum",
    "promotion",
)
OUTSIDE_THE_RULE = {"tests", "migrations", "management"}


def _checked_files(root: Path, app: str):
    for path in sorted((root / app).rglob("*.py")):
        relative = path.relative_to(root / app)
        if OUTSIDE_THE_RULE & set(relative.parts[:-1]) or relative.name == "demo.py":
            continue
        if app == "config" and str(relative) in WIRING:
            continue
        yield path, relative


def upward_edges(root: Path = ROOT) -> list[tuple[str, str, str]]:
    """Every import of a higher app by a lower one: (importer app, imported app,
    "<file>:<line> imports <module>"), in file and line order."""
    rank = {app: i for i, app in enumerate(LAYERS)}
    found = []
    for app in LAYERS:
        for path, relative in _checked_files(root, app):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for module, line in sorted(_modules(tree), key=lambda m: m[1]):
                imported = module.split(".")[0]
                if rank.get(imported, -1) > rank[app]:
                    found.append((app, imported, f"{app}/{relative}:{line} imports {module}"))
    return found


def upward_imports(root: Path = ROOT) -> list[str]:
    return [where for _app, _imported, where in upward_edges(root)]


def test_no_app_imports_a_higher_one():
    assert upward_imports() == []


def test_every_app_of_the_project_has_its_layer():
    ours = {config.name for config in apps.get_app_configs() if (ROOT / config.name).is_dir()}
    assert ours <= set(LAYERS)
    assert all((ROOT / app).is_dir() for app in LAYERS)


def test_the_check_sees_module_level_lazy_and_dynamic_imports(tmp_path):
    for app in LAYERS:
        (tmp_path / app).mkdir()
    (tmp_path / "review" / "services.py").write_text(
        "from accounts import roles\n"
        "import points.models\n"
        "def notify():\n"
        "    from promotion.services import notifications\n"
        "    return import_module('casebase.selectors')\n"
        "from . import registry\n"
    )
    (tmp_path / "points" / "selectors.py").write_text(
        "from review.selectors import pending_applications\n"
        "def desk():\n"
        "    from knowledgebase.services import can_maintain\n"
    )
    (tmp_path / "knowledgebase" / "selectors.py").write_text(
        "def cited():\n    from casebase.selectors import citations\n"
    )
    (tmp_path / "config" / "urls.py").write_text("from promotion import urls\n")
    (tmp_path / "config" / "cache.py").write_text("def f():\n    from accounts import roles\n")
    (tmp_path / "competency" / "demo.py").write_text("from promotion.models import Exam\n")
    (tmp_path / "accounts" / "tests").mkdir()
    (tmp_path / "accounts" / "tests" / "test_x.py").write_text("from curriculum import gaps\n")
    (tmp_path / "accounts" / "management" / "commands").mkdir(parents=True)
    (tmp_path / "accounts" / "management" / "commands" / "demo.py").write_text(
        "from promotion import demo\n"
    )
    (tmp_path / "casebase" / "migrations").mkdir()
    (tmp_path / "casebase" / "migrations" / "0001_initial.py").write_text(
        "import promotion.models\n"
    )
    assert upward_imports(tmp_path) == [
        "config/cache.py:2 imports accounts",
        "review/services.py:2 imports points.models",
        "review/services.py:4 imports promotion.services",
        "review/services.py:5 imports casebase.selectors",
        "points/selectors.py:3 imports knowledgebase.services",
        "knowledgebase/selectors.py:2 imports casebase.selectors",
    ]
