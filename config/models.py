"""Abstract model bases shared by the apps (config is not an app: nothing here is concrete)."""

from typing import Self

from django.core.cache import cache
from django.db import models, transaction

SETTINGS_CACHE_SECONDS = (
    300  # a safety net only: every write through the ORM forgets the copy at once
)


class SingletonSettingsQuerySet(models.QuerySet):
    """Bulk writes (``.update()``, ``.delete()``) forget the cached row like save() does."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        self.model.forget_cached()
        return rows

    def delete(self):
        result = super().delete()
        self.model.forget_cached()
        return result


class SingletonSettings(models.Model):
    """A one-row table of admin-editable settings (row pk=1, seeded by a migration).

    Nearly every page and rule reads one of these rows, and an admin changes it a few times a
    year: current() serves it from the cache (Redis in production, local memory in the
    embedded default), and every write through the ORM — save(), delete(), the queryset's
    update()/delete() — forgets the cached copy, now and again when the transaction commits
    (so nothing caches the old row between the write and its commit)."""

    objects = SingletonSettingsQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        type(self).forget_cached()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        type(self).forget_cached()
        return result

    @classmethod
    def _cache_key(cls) -> str:
        return f"settings:{cls._meta.label_lower}"

    @classmethod
    def forget_cached(cls) -> None:
        key = cls._cache_key()
        cache.delete(key)
        transaction.on_commit(lambda: cache.delete(key))

    @classmethod
    def current(cls) -> Self:
        """The settings row (created with the field defaults if an admin deleted it)."""
        obj = cache.get(cls._cache_key())
        if obj is None:
            obj, _created = cls.objects.get_or_create(pk=1)
            cache.set(cls._cache_key(), obj, SETTINGS_CACHE_SECONDS)
        return obj
