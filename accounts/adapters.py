import math
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.forms import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

LOCKED_OUT = "too_many_login_attempts"


class StaffAccountAdapter(DefaultAccountAdapter):
    """Employees are provisioned by HR (admin or import), never by self sign-up. People log in
    with their staff ID (工号), so the messages say so, and a lock-out says how long to wait."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": _(
            "The staff ID and/or password you specified are not correct."
        ),
    }

    def is_open_for_signup(self, request) -> bool:
        return False

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if getattr(error, "code", None) != LOCKED_OUT:
                raise
            minutes = max(1, math.ceil(self.login_lockout_seconds(request, **credentials) / 60))
            raise ValidationError(
                ngettext(
                    "Too many failed login attempts. Try again in %(minutes)d minute.",
                    "Too many failed login attempts. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code=LOCKED_OUT,
            ) from error

    def login_lockout_seconds(self, request, **credentials) -> float:
        """Seconds until the next login attempt for these credentials is allowed: the oldest
        failure still counted by an exhausted rate (per staff ID or per address) leaves its
        window then. The longest window when the counters cannot be read."""
        rates = allauth_ratelimit.get_rates(app="allauth.account", action="login_failed")
        key = self._get_login_attempts_cache_key(request, **credentials)
        now = time.time()
        waits = []
        for rate in rates:
            try:
                cache_key = allauth_ratelimit.get_cache_key(
                    request, app="allauth.account", action="login_failed", rate=rate, key=key
                )
            except Exception:  # a rate per user on an anonymous request: not a lock-out cause
                continue
            history = [t for t in cache.get(cache_key, []) if t > now - rate.duration]
            if len(history) >= rate.amount:
                waits.append(min(history) + rate.duration - now)
        return max(waits) if waits else max((rate.duration for rate in rates), default=60)
