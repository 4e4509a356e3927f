"""Abstract model bases shared by the apps (config is not an app: nothing here is concrete)."""

from typing import Self

from django.db import models


class SingletonSettings(models.Model):
    """A one-row table of admin-editable settings (row pk=1, seeded by a migration)."""

    class Meta:
        abstract = True

    @classmethod
    def current(cls) -> Self:
        """The settings row (created with the field defaults if an admin deleted it)."""
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
