"""Positions moved from competency to accounts (accounts.0007): the permissions of the old
content types stay with whoever held them, in both shapes a database can be in."""

import importlib

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.models import Position, User
from accounts.tests.factories import PositionFactory, UserFactory

pytestmark = pytest.mark.django_db

MOVE = importlib.import_module("accounts.migrations.0007_position_from_competency")


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


def _old_permission(codename="change_position", model="position"):
    """The state a database at main was in: the model's content type under competency."""
    old = ContentType.objects.create(app_label="competency", model=model)
    return Permission.objects.create(content_type=old, codename=codename, name="Can change")


def _holders(permission):
    group = Group.objects.create(name="Position keepers")
    group.permissions.add(permission)
    user = UserFactory()
    user.user_permissions.add(permission)
    return group, user


def _has(user, perm: str) -> bool:
    return User.objects.get(pk=user.pk).has_perm(perm)


def test_the_old_content_type_is_renamed_so_its_permissions_keep_their_ids_and_holders():
    # given: only competency.position exists (accounts.position not created yet)
    ContentType.objects.filter(app_label="accounts", model="position").delete()
    permission = _old_permission()
    group, user = _holders(permission)
    member = UserFactory(roles=[group.name])
    # when
    MOVE._move_content_types(apps, "competency", "accounts")
    # then
    permission.refresh_from_db()
    assert permission.content_type.app_label == "accounts"
    assert not ContentType.objects.filter(app_label="competency", model="position").exists()
    assert _has(user, "accounts.change_position") and _has(member, "accounts.change_position")


def test_when_both_content_types_exist_the_holders_get_the_twin_permission():
    # given: post_migrate already made accounts.position and its permissions
    new = ContentType.objects.get_for_model(Position)
    permission = _old_permission()
    group, user = _holders(permission)
    member = UserFactory(roles=[group.name])
    entry = LogEntry.objects.create(
        user=user, content_type=permission.content_type, object_id="1", action_flag=CHANGE
    )
    assert not _has(member, "accounts.change_position")
    # when
    MOVE._move_content_types(apps, "competency", "accounts")
    # then
    assert not ContentType.objects.filter(app_label="competency", model="position").exists()
    twin = Permission.objects.get(content_type=new, codename="change_position")
    assert twin in group.permissions.all() and twin in user.user_permissions.all()
    assert _has(user, "accounts.change_position") and _has(member, "accounts.change_position")
    entry.refresh_from_db()
    assert entry.content_type == new


def test_training_managers_find_and_edit_positions_in_admin(client, training_manager):
    position = PositionFactory()
    assert training_manager.has_perm("accounts.change_position")
    assert training_manager.has_perm("accounts.change_positionfamily")
    client.force_login(training_manager)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:accounts_position_changelist") in index
    assert reverse("admin:accounts_positionfamily_changelist") in index
    change = reverse("admin:accounts_position_change", args=[position.pk])
    assert client.get(change).status_code == 200
