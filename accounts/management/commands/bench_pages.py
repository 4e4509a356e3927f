"""Load-test the pages a CSR uses, the way production serves them, beside /healthz.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_benchpages python manage.py migrate
    DATABASE_URL=… python manage.py demo
    DATABASE_URL=… python manage.py bench_population      # 5 centres × 1,700 CSRs with history
    DATABASE_URL=… python manage.py bench_kb_search --entries 100000 --repeat 1 --no-baseline
    DATABASE_URL=… python manage.py bench_pages [--workers 4] [--seconds 10] \\
        [--report bench-pages.json]

Starts gunicorn (``--workers`` sync workers, DEBUG off, behind a pretend TLS proxy) on the
bench database, logs the demo CSR HB0001 in (``--login`` another), and drives each page with wrk
(Debian's ``wrk``; ``scripts/ensure-wrk.sh`` installs it) at 8 and 32 connections. Prints
requests per second, p50 and p99 latency, the ratio of each page's throughput to /healthz in the
same run, the queries each page makes, and writes everything to a JSON report. Absolute figures
depend on the machine; the ratio to /healthz is what compares across machines.

The API rows are sent by ``--api-users`` CSRs in turn (128 by default, each with its own
session), under the production request limit (API_USER_RATE, 600/min a user): one user sending
hundreds of searches a second would need the limit lifted, and DRF's limiter then reads and
writes that user's whole list of request times (thousands of entries) on every request, a cost
no real CSR causes.
"""

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.roles import Role
from config.bench import require_bench_database

CSR = "HB0001"
KB_MIX = "KB API, query mix, no cache"


def _pages() -> list[tuple[str, str]]:
    from casebase.models import Case

    case = Case.objects.training().order_by("pk").values_list("pk", flat=True).first()
    pages = [
        ("healthz", "/healthz"),
        ("CSR home", "/"),
        ("learning map", "/curriculum/my-map/"),
        ("my points", "/points/"),
        ("KB page with a query", "/kb/?q=%E5%AE%BD%E5%B8%A6"),
        ("KB search API", "/api/kb/search/?q=%E5%AE%BD%E5%B8%A6"),
    ]
    if case:
        pages.insert(3, ("case study page", f"/cases/{case}/"))
    return pages


def _data_set() -> dict:
    """The size of what the pages read, printed and kept in the report beside the figures."""
    from casebase.models import Case, CaseStudy
    from knowledgebase.models import Entry
    from points.models import PointsEntry

    return {
        "employees": User.objects.count(),
        "points_entries": PointsEntry.objects.count(),
        "training_cases": Case.objects.training().count(),
        "case_studies": CaseStudy.objects.count(),
        "kb_entries": Entry.objects.count(),
    }


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> dict:
    """requests/s, p50/p99 in ms and the count of non-2xx/3xx answers from ``wrk --latency``."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {
        p: _ms(v, u)
        for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": rps,
        "p50_ms": latency.get("50"),
        "p99_ms": latency.get("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


class Command(BaseCommand):
    help = "Serve the app with gunicorn and load-test the CSR pages against /healthz with wrk."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--worker-class", default="sync")
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument("--seconds", type=int, default=10)
        parser.add_argument("--connections", default="8,32")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--report", default="", help="write the figures to this JSON file")
        parser.add_argument(
            "--login",
            default=CSR,
            help=f"Staff ID of the CSR the pages are requested as (default the demo's {CSR}; "
            "bench_population gives it a typical year of history).",
        )
        parser.add_argument(
            "--api-users",
            type=int,
            default=128,
            help="How many CSRs send the API rows in turn (each stays under the per-user limit).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run on a database whose name lacks 'bench'."
        )

    def handle(
        self,
        *args,
        workers,
        worker_class,
        threads,
        seconds,
        connections,
        port,
        report,
        login,
        api_users,
        force,
        **options,
    ):
        require_bench_database(force=force, action="load-test")
        if not shutil.which("wrk"):
            raise CommandError(
                "wrk is not installed: run scripts/ensure-wrk.sh (Debian package wrk)."
            )
        user = User.objects.filter(staff_id=login.strip().upper()).first()
        if user is None:
            raise CommandError(
                f"No CSR {login}: run `manage.py demo` (and bench_population) "
                "on this database first."
            )
        # Always: a static directory left by an older checkout lacks the newer files' manifest
        # entries, and every page would answer 500 (collectstatic copies only what changed).
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            env={**os.environ, "DEBUG": "0", "SECRET_KEY": settings.SECRET_KEY},
            check=True,
        )
        client = Client()
        client.force_login(user)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        pages = _pages()
        api_cookies = self._api_sessions(api_users)
        # A run right after another would find the user's API throttle spent by the last one.
        cache.delete(f"throttle_user_{user.pk}")
        queries = {}
        for label, url in pages:  # the query count of each page, measured once in-process
            with CaptureQueriesContext(connection) as captured:
                status = client.get(url, secure=True).status_code
            if status != 200:
                raise CommandError(
                    f"{url} answered {status} in-process; fix that before timing it."
                )
            queries[label] = len(captured)
        counts = [int(n) for n in connections.split(",")]

        def drive(label: str, url: str, c: int, script: str = "") -> dict:
            command = [
                "wrk",
                "-t2",
                f"-c{c}",
                "--latency",
                "--timeout",
                "10s",
                "-H",
                f"Cookie: {cookie}",
                "-H",
                "X-Forwarded-Proto: https",
                *(["-s", script] if script else []),
                f"http://127.0.0.1:{port}{url}",
            ]
            # Warm-up, not counted: every worker's first request of a page loads what the
            # page needs once per process (templates, the jieba dictionary: ~3 s).
            subprocess.run([*command[:3], "-d2s", *command[3:]], capture_output=True, check=True)
            out = subprocess.run(
                [*command[:3], f"-d{seconds}s", *command[3:]],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            return {"page": label, "url": url, "connections": c, **parse_wrk(out)}

        server = self._serve(workers=workers, worker_class=worker_class, threads=threads, port=port)
        results = []
        scripts = {  # the API rows: many CSRs in turn (see the module's docstring)
            label: self._script([url], api_cookies)
            for label, url in pages
            if url.startswith("/api/")
        }
        try:
            for c in counts:
                for label, url in pages:
                    row = drive(label, url, c, scripts.get(label, ""))
                    results.append({**row, "queries": queries[label]})
        finally:
            server.terminate()
            server.wait(timeout=30)
            for name in scripts.values():
                Path(name).unlink(missing_ok=True)
        # The search page and API reuse results (KB_SEARCH_CACHE_SECONDS): the figures above
        # repeat one query. What a miss costs: the API with the cache off, over the held-out
        # query set (knowledgebase/bench/queries.json), a different query each request.
        script = self._query_mix_script(api_cookies)
        server = self._serve(
            workers=workers,
            worker_class=worker_class,
            threads=threads,
            port=port,
            extra_env={"KB_SEARCH_CACHE_SECONDS": "0"},
        )
        try:
            for c in counts:
                row = drive(KB_MIX, "/api/kb/search/", c, script)
                results.append({**row, "queries": queries["KB search API"]})
        finally:
            server.terminate()
            server.wait(timeout=30)
            Path(script).unlink(missing_ok=True)
        data_set = _data_set()
        self.stdout.write(
            "data set: "
            + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in data_set.items())
            + f"; logged in as {user.staff_id}"
        )
        self._print(results)
        if report:
            Path(report).write_text(
                json.dumps(
                    {
                        "machine": {
                            "cpus": os.cpu_count(),
                            "platform": platform.platform(),
                            "python": sys.version.split()[0],
                        },
                        "server": {
                            "workers": workers,
                            "worker_class": worker_class,
                            "threads": threads,
                        },
                        "login": user.staff_id,
                        "data_set": data_set,
                        "seconds": seconds,
                        "results": results,
                    },
                    indent=2,
                ),
                encoding="utf-8",
            )
            self.stdout.write(f"report written to {report}")

    def _api_sessions(self, count: int) -> list[str]:
        """Session cookies of ``count`` active CSRs (the population's), for the API rows."""
        csrs = list(
            User.objects.filter(is_active=True, groups__name=Role.CSR).order_by("pk")[:count]
        )
        if len(csrs) < count:
            raise CommandError(f"{count} CSRs wanted for the API rows, {len(csrs)} found.")
        cookies = []
        for csr in csrs:
            client = Client()
            client.force_login(csr)
            value = client.cookies[settings.SESSION_COOKIE_NAME].value
            cookies.append(f"{settings.SESSION_COOKIE_NAME}={value}")
            cache.delete(f"throttle_user_{csr.pk}")
        return cookies

    def _query_mix_script(self, cookies: list[str]) -> str:
        """A wrk script sending the held-out KB queries in turn, as API searches."""
        held_out = json.loads(
            (Path(settings.BASE_DIR) / "knowledgebase/bench/queries.json").read_text("utf-8")
        )["queries"]
        paths = [
            "/api/kb/search/?" + urllib.parse.urlencode({"q": q["q"], "limit": 20})
            for q in held_out
        ]
        return self._script(paths, cookies)

    @staticmethod
    def _script(paths: list[str], cookies: list[str]) -> str:
        """A wrk script sending ``paths`` in turn, each request with the next of ``cookies``."""
        handle, name = tempfile.mkstemp(suffix=".lua")
        with os.fdopen(handle, "w", encoding="utf-8") as lua:
            lua.write(
                f"local paths = {{{', '.join(json.dumps(p) for p in paths)}}}\n"
                f"local cookies = {{{', '.join(json.dumps(c) for c in cookies)}}}\n"
                "local i = 0\n"
                "request = function()\n  i = i + 1\n"
                '  wrk.headers["Cookie"] = cookies[(i % #cookies) + 1]\n'
                "  return wrk.format(nil, paths[(i % #paths) + 1])\nend\n"
            )
        return name

    def _serve(
        self,
        *,
        workers: int,
        worker_class: str,
        threads: int,
        port: int,
        extra_env: dict | None = None,
    ) -> subprocess.Popen:
        # The production request limits stay: the API rows are sent by many CSRs in turn.
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "BEHIND_TLS_PROXY": "1",
            **(extra_env or {}),
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi",
                "-w",
                str(workers),
                "-k",
                worker_class,
                "--threads",
                str(threads),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    return server
            except OSError:
                time.sleep(0.2)
        server.terminate()
        raise CommandError("gunicorn did not answer /healthz within 20 s")

    def _print(self, results: list[dict]) -> None:
        base = {r["connections"]: r["rps"] for r in results if r["page"] == "healthz"}
        self.stdout.write(
            f"{'page':<22} {'conn':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs healthz':>10} "
            f"{'queries':>7} errors"
        )
        for r in results:
            ratio = r["rps"] / base[r["connections"]] if base.get(r["connections"]) else 0
            self.stdout.write(
                f"{r['page']:<22} {r['connections']:>4} {r['rps']:>8.1f} {r['p50_ms'] or 0:>8.1f} "
                f"{r['p99_ms'] or 0:>8.1f} {ratio:>10.2f} {r['queries']:>7} {r['errors']}"
            )
