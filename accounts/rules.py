"""Object-level rules as named predicates (django-rules), the one place each lives.

A rule about a user *and an object* — "a team leader rates only their own team", "the
proposer or a committee member sees a proposal", "an examinee never sees the test content of
a level they can still be examined on" — is a predicate registered here or in its app's
``rules.py`` (imported at start-up by rules.apps.AutodiscoverRulesConfig) under a permission
name such as ``curriculum.rate_employee``. Views, DRF permissions, services and templates
ask that name, never a copy of the condition:

- Python: ``allowed("curriculum.rate_employee", user, employee)``
- templates: ``{% load rules %}`` then
  ``{% test_rule "curriculum.rate_employee" user employee as may_rate %}``
- DRF: ``accounts.permissions.object_rule("…")`` (has_object_permission)

They are asked through the rule set, not ``user.has_perm(name, obj)``: Django answers True to
every active superuser before any backend is consulted, while some rules deliberately refuse
one (a superuser without a team is nobody's team leader: no page offers them a rating link
that answers 403). Role permissions (``accounts.rate_behaviour`` …) stay Django permissions
(cached per request, accounts.permission_cache); predicates read them with ``holds(...)``, so a
predicate asked once per table row adds no query.
"""

from __future__ import annotations

import rules


def register(name: str, predicate: rules.Predicate) -> rules.Predicate:
    """Register ``predicate`` as the rule and the object permission ``name`` (idempotent)."""
    rules.set_rule(name, predicate)
    rules.set_perm(name, predicate)
    return predicate


def allowed(name: str, user, obj=None) -> bool:
    """Whether the registered rule ``name`` allows ``user`` (on ``obj``)."""
    return rules.test_rule(name, user, obj)


def holds(perm: str) -> rules.Predicate:
    """A predicate: ``user`` is an active, logged-in employee holding the Django permission
    ``perm`` (their roles; superusers hold every one)."""

    def check(user) -> bool:
        return bool(user is not None and user.is_authenticated and user.has_perm(perm))

    return rules.predicate(check, name=f"holds[{perm}]")


@rules.predicate
def is_self(user, employee) -> bool:
    """``employee`` is ``user`` themselves."""
    return employee is not None and user.pk == employee.pk


@rules.predicate
def same_team(user, employee) -> bool:
    """``user`` belongs to a team and ``employee`` to the same one. Two people without a team
    are not each other's team (None == None must never count)."""
    return bool(employee is not None and user.team_id and user.team_id == employee.team_id)
