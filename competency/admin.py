from django.contrib import admin

from .models import Position, PositionFamily


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0


@admin.register(PositionFamily)
class PositionFamilyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name", "name_en")
    inlines = [PositionInline]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "family")
    list_filter = ("family",)
    search_fields = ("code", "name", "name_en")
