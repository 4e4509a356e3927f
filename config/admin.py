"""Admin building blocks shared by the apps."""

from django.contrib import admin


class ReadOnlyMixin:
    """Listed and viewable only: the rows are written by the services (ledgers, events,
    decisions taken on their own pages), never by hand in admin. A mixin, so an admin with
    another base (SimpleHistoryAdmin) can be read-only too."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass
