import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.celery import app as celery_app
from config.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent


def test_celery_reliability_settings_reach_the_celery_app():
    # A misspelt CELERY_ setting is silently ignored, so read them back from the app itself.
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    # redelivery after a killed worker: soon, but never while the task may still be running
    assert (
        conf.task_time_limit
        < conf.broker_transport_options["visibility_timeout"]
        <= conf.task_time_limit + 600
    )
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert "accounts.celery_ping_task" in celery_app.tasks


def test_drf_uses_expiring_tokens_and_sessions_requires_login_and_throttles():
    rf = settings.REST_FRAMEWORK
    assert rf["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "accounts.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]
    assert rf["DEFAULT_PERMISSION_CLASSES"] == ["rest_framework.permissions.IsAuthenticated"]
    assert rf["DEFAULT_PAGINATION_CLASS"]
    assert rf["DEFAULT_THROTTLE_CLASSES"] == [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ]
    assert set(rf["DEFAULT_THROTTLE_RATES"]) == {"user", "anon"}
    assert settings.REST_KNOX["TOKEN_TTL"].total_seconds() == settings.API_TOKEN_TTL_HOURS * 3600


def test_default_language_is_simplified_chinese_with_english_available():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.USE_TZ and settings.TIME_ZONE == "Asia/Shanghai"


@pytest.mark.parametrize("raw, expected", [("1", True), ("yes", True), ("off", False), ("", False)])
def test_env_bool_parses(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG", not expected) is expected


def test_env_helpers_fail_loudly_on_bad_values(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", False)
    with pytest.raises(ImproperlyConfigured, match="X_NUM"):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_LIST", "a.example, b.example ,")
    assert env_list("X_LIST", []) == ["a.example", "b.example"]


def _manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_like_environment():
    result = _manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 20 + "-production-like-secret-key-for-the-check-0123456789",
            "ALLOWED_HOSTS": "training.example.com",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secret_key_is_required_when_debug_is_off():
    result = _manage(["check"], {"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _settings_value(expression: str, env: dict[str, str]) -> str:
    result = _manage(["shell", "-c", f"from django.conf import settings; print({expression})"], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's auto-import notice


def test_debug_is_off_unless_asked_for():
    assert _settings_value("settings.DEBUG", {"SECRET_KEY": "k" * 50}) == "False"
    assert _settings_value("settings.DEBUG", {"DEBUG": "1"}) == "True"


def test_development_processes_share_one_generated_secret_key(tmp_path):
    env = {"DEBUG": "1", "DEV_SECRET_KEY_FILE": str(tmp_path / "dev-key")}
    first = _settings_value("settings.SECRET_KEY", env)
    second = _settings_value("settings.SECRET_KEY", env)
    assert first == second and first.startswith("dev-insecure-") and len(first) > 50
    assert (tmp_path / "dev-key").read_text() == first


@pytest.mark.parametrize(
    "behind_proxy, expected", [(None, "None"), ("1", "('HTTP_X_FORWARDED_PROTO', 'https')")]
)
def test_x_forwarded_proto_is_trusted_only_behind_a_declared_tls_proxy(behind_proxy, expected):
    env = {"DEBUG": "0", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "training.example.com"}
    if behind_proxy:
        env["BEHIND_TLS_PROXY"] = behind_proxy
    assert _settings_value("settings.SECURE_PROXY_SSL_HEADER", env) == expected
