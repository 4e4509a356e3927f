"""Permission sets come from the cache, and every kind of role change is seen at once."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user) -> User:
    """The user as the next request loads it (no per-object permission cache)."""
    return User.objects.get(pk=user.pk)


def test_a_second_request_reads_the_permissions_from_the_cache(reviewer):
    assert fresh(reviewer).has_perm(roles.REVIEW)
    user = fresh(reviewer)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm(roles.REVIEW) and not user.has_perm(roles.EXPORT_ROSTERS)
    assert len(queries) == 0


def test_leaving_a_group_takes_the_permission_away_at_once(reviewer):
    assert fresh(reviewer).has_perm(roles.REVIEW)
    reviewer.groups.remove(Group.objects.get(name=roles.Role.REVIEWER))
    assert not fresh(reviewer).has_perm(roles.REVIEW)


def test_joining_a_group_gives_the_permission_at_once(csr):
    assert not fresh(csr).has_perm(roles.REVIEW)
    csr.groups.add(Group.objects.get(name=roles.Role.REVIEWER))
    assert fresh(csr).has_perm(roles.REVIEW)


def test_a_permission_removed_from_a_group_or_a_deleted_group_counts_at_once(reviewer):
    group = Group.objects.get(name=roles.Role.REVIEWER)
    app_label, codename = roles.REVIEW.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    assert fresh(reviewer).has_perm(roles.REVIEW)
    group.permissions.remove(permission)
    assert not fresh(reviewer).has_perm(roles.REVIEW)
    group.permissions.add(permission)
    assert fresh(reviewer).has_perm(roles.REVIEW)
    group.delete()
    assert not fresh(reviewer).has_perm(roles.REVIEW)


def test_direct_user_permissions_and_deactivation_count_at_once():
    user = UserFactory()
    app_label, codename = roles.EXPORT_ROSTERS.split(".")
    assert not fresh(user).has_perm(roles.EXPORT_ROSTERS)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    assert fresh(user).has_perm(roles.EXPORT_ROSTERS)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert not fresh(user).has_perm(roles.EXPORT_ROSTERS)


def test_a_superuser_demoted_in_admin_loses_every_permission_at_once():
    # given: a superuser whose (all-permission) set is cached
    boss = UserFactory(roles=[], is_superuser=True)
    assert (
        roles.MANAGE_OPERATIONS in fresh(boss).get_all_permissions()
    )  # e.g. GET /api/me/ lists them
    # when: an admin clears "superuser status" (a field of the user row, no group change)
    boss.is_superuser = False
    boss.save(update_fields=["is_superuser"])
    # then: the next request no longer has the superuser's permissions
    assert not fresh(boss).has_perm(roles.MANAGE_OPERATIONS)
    assert fresh(boss).get_all_permissions() == set()


def test_a_permission_a_migration_revokes_counts_once_the_migrations_ran(reviewer):
    # given: the reviewer's set is cached; a data migration revokes the permission with the
    # historical models (accounts.migration_helpers.revoke_permissions), which send no signal
    # the cache listens to
    from django.apps import apps as global_apps
    from django.core.management.sql import emit_post_migrate_signal
    from django.db.migrations.state import ProjectState

    from accounts.migration_helpers import revoke_permissions

    assert fresh(reviewer).has_perm(roles.REVIEW)
    historical = ProjectState.from_apps(global_apps).apps
    revoke_permissions(historical, {roles.Role.REVIEWER: [roles.REVIEW]})
    # when: `migrate` finishes (post_migrate)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    # then: the next request no longer has it
    assert not fresh(reviewer).has_perm(roles.REVIEW)
