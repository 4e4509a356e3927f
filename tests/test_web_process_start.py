"""A web process loads the search tokenizers when it starts, so no request waits for them
(the deciding approval of a KB revision re-indexes the entry: in a fresh worker it took
1.3–2.1 s on the demo data, 0.09–0.13 s once they were loaded)."""

import os
import subprocess
import sys

import pytest

CHECK = (
    "import sys; import {module}; from knowledgebase import search; "
    "print(search._jieba is not None, 'pypinyin' in sys.modules)"
)


def _fresh(code: str) -> subprocess.CompletedProcess:
    """``code`` run by a fresh interpreter (as gunicorn or an ASGI server imports the app)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_starting_the_web_application_loads_the_search_tokenizers(module):
    # when: a fresh interpreter imports the application as gunicorn (or an ASGI server) does
    done = _fresh(CHECK.format(module=module))
    # then: jieba's dictionary and pypinyin are loaded before any request
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_importing_the_settings_alone_does_not_load_the_tokenizers():
    # Management commands, Celery and the test suite do not pay for them unless they index.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); import sys; from knowledgebase import search; "
            "print(search._jieba is None, 'jieba' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]


SETTLED = (
    "import gc, sys; import {module}; from django.urls import get_resolver; "
    "print(get_resolver()._populated, gc.get_freeze_count(), len(gc.get_objects()))"
)


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_a_started_web_process_has_its_url_configuration_loaded_and_frozen(module):
    # when: a fresh interpreter imports the application as gunicorn (or an ASGI server) does
    done = _fresh(SETTLED.format(module=module))
    assert done.returncode == 0, done.stderr
    populated, frozen, young = done.stdout.split()
    # then: the URL configuration (every view module) is loaded before the first request …
    assert populated == "True"
    # … and what was loaded is in the permanent generation: a full collection in a worker
    # walks what requests left, not the process's hundreds of thousands of module objects
    # (config.process.settle_web_process).
    assert int(frozen) > 10 * int(young)
