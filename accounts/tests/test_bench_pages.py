from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.management.commands.bench_pages import parse_wrk

WRK_OUTPUT = """Running 4s test @ http://127.0.0.1:8765/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    45.54ms   20.11ms 205.60ms   71.20%
  Latency Distribution
     50%  159.40ms
     75%   55.10ms
     90%   70.30ms
     99%    1.21s
  196 requests in 4.01s, 2.27MB read
  Non-2xx or 3xx responses: 3
Requests/sec:     48.91
Transfer/sec:    579.21KB
"""


def test_wrk_figures_are_read_with_their_units():
    assert parse_wrk(WRK_OUTPUT) == {"rps": 48.91, "p50_ms": 159.4, "p99_ms": 1210.0, "errors": 3}


@pytest.mark.django_db
def test_the_page_benchmark_refuses_a_database_without_bench_in_its_name(monkeypatch):
    # The name is pinned: a developer's own test database may well contain "bench".
    monkeypatch.setattr(
        "config.bench.settings", SimpleNamespace(DATABASES={"default": {"NAME": "cc_production"}})
    )
    with pytest.raises(CommandError, match="use a \\*bench\\* database or --force"):
        call_command("bench_pages")


@pytest.mark.django_db
def test_the_api_rows_are_sent_by_many_csrs_each_with_their_own_session(client):
    from accounts.management.commands.bench_pages import Command
    from accounts.tests.factories import UserFactory

    csrs = UserFactory.create_batch(3, roles=["CSR"])
    UserFactory(roles=["HR"])
    cookies = Command()._api_sessions(3)
    assert len(set(cookies)) == 3
    for cookie, csr in zip(cookies, csrs, strict=True):
        name, value = cookie.split("=", 1)
        client.cookies[name] = value
        assert client.get("/api/me/").json()["staff_id"] == csr.staff_id
    with pytest.raises(CommandError, match="4 CSRs wanted for the API rows, 3 found"):
        Command()._api_sessions(4)
    script = Command._script(["/api/kb/search/?q=a"], cookies)
    with open(script, encoding="utf-8") as lua:
        text = lua.read()
    assert all(cookie in text for cookie in cookies) and 'wrk.headers["Cookie"]' in text
