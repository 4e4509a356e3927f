"""Permission sets kept in the cache, so a page does not ask the database for them.

Django's ModelBackend reads an employee's permissions (their own and their groups') with
two queries on every request: each request loads a fresh user object, and the backend only
caches on that object. Roles change rarely (a committee appointment, an admin edit) while
every page checks them — for the navigation alone ~20 times — so the set is kept in the
cache (Redis in production, local memory in the embedded default) under a key that holds
a global version. Any change of group membership, of a group's or a user's permissions,
the deletion of a group or permission, and every `migrate` run bump the version, so the
next check reads the database again; there is no window in which a removed permission still counts,
except on another process during the version bump itself.

The signals below are the one place this happens: group membership is changed by services
(committee appointment/removal), admin forms, migrations and role seeding alike, and a
receiver is the only hook all of these share (ARCHITECTURE: signals only for cross-app
clean-up that cannot be a call).
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_migrate

from config.cache_versions import MISSING, CacheVersion

PERMISSIONS_VERSION = CacheVersion("permissions:version")
TIMEOUT = 3600
# Forget every cached permission set (a signal receiver, see connect_signals).
permissions_changed = PERMISSIONS_VERSION.bump


class CachedPermissionsBackend(ModelBackend):
    """ModelBackend whose permission set per active employee comes from the cache."""

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            # The superuser flag is a field of the user row, not a membership: a superuser
            # demoted in admin must not keep the cached all-permission set.
            key = f"permissions:{user_obj.pk}:{int(user_obj.is_superuser)}"
            version, cached = PERMISSIONS_VERSION.read(key)
            if cached is MISSING:
                cached = super().get_all_permissions(user_obj)
                PERMISSIONS_VERSION.keep(key, version, cached, TIMEOUT)
            user_obj._perm_cache = set(cached)
        return user_obj._perm_cache


def connect_signals(user_model) -> None:
    for through in (
        user_model.groups.through,
        user_model.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(
            permissions_changed, sender=through, dispatch_uid=f"permissions:{through._meta.label}"
        )
    for model in (Group, Permission):
        post_delete.connect(
            permissions_changed,
            sender=model,
            dispatch_uid=f"permissions:delete:{model._meta.label}",
        )
    # Data migrations grant and revoke roles' permissions with historical models, whose
    # m2m_changed has other senders: forget every cached set once `migrate` has run (the
    # cache outlives a deploy).
    post_migrate.connect(permissions_changed, dispatch_uid="permissions:migrate")
