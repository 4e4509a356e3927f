"""/healthz for load balancers and monitoring: 200 when every configured dependency answers,
503 otherwise. Anonymous callers (load balancers) learn only ok / error; staff users see which
dependency failed — error class names and versions are a map for an attacker."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


@never_cache
@require_GET
def healthz(request):
    checks = {}
    healthy = True
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is an unhealthy dependency
            checks[name] = f"error: {exc.__class__.__name__}"
            healthy = False
    checks["database_vendor"] = connection.vendor
    body = {"status": "ok" if healthy else "error"}
    if request.user.is_authenticated and request.user.is_staff:
        body["checks"] = checks
    return JsonResponse(body, status=200 if healthy else 503)
