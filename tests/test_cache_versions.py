"""config.cache_versions.CacheVersion.read / keep: the version and a value kept for it in one
round trip; a value kept under an older version never counts."""

from unittest import mock

import pytest
from django.core.cache import cache

from config.cache_versions import MISSING, CacheVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    cache.delete_many(["test:version", "test:value"])
    return CacheVersion("test:version")


def test_a_kept_value_is_read_until_the_version_moves(version):
    current, value = version.read("test:value")
    assert value is MISSING
    version.keep("test:value", current, {"a": 1}, 60)
    assert version.read("test:value") == (current, {"a": 1})
    version.bump()
    moved, value = version.read("test:value")
    assert moved != current and value is MISSING
    version.keep("test:value", moved, None, 60)  # None is a value, not "missing"
    assert version.read("test:value") == (moved, None)


def test_a_copy_written_by_a_reader_that_read_before_the_bump_does_not_count(version):
    # a reader reads version v and computes; meanwhile a writer bumps; the reader keeps its
    # (stale) value under v — the next read must not return it
    before, _ = version.read("test:value")
    version.bump()
    version.keep("test:value", before, "stale", 60)
    assert version.read("test:value")[1] is MISSING


def test_one_round_trip_when_the_version_is_set(version):
    current, _ = version.read("test:value")
    version.keep("test:value", current, "x", 60)
    with (
        mock.patch.object(cache, "get", wraps=cache.get) as get,
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
    ):
        assert version.read("test:value")[1] == "x"
    assert get_many.call_count == 1 and get.call_count == 0


@pytest.mark.django_db
def test_a_removed_role_stops_counting_on_the_next_request(django_user_model):
    from django.contrib.auth.models import Group

    from accounts import roles
    from accounts.tests.factories import UserFactory

    user = UserFactory(roles=["CSR"])
    assert django_user_model.objects.get(pk=user.pk).has_perm(roles.STUDY)  # kept now
    user.groups.remove(*Group.objects.all())
    assert not django_user_model.objects.get(pk=user.pk).has_perm(roles.STUDY)
