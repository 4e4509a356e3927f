from django.db import models
from django.utils.translation import gettext_lazy as _


class PositionFamily(models.Model):
    """A family of related positions (岗位族), e.g. hotline service, complaint handling."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("position family")
        verbose_name_plural = _("position families")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Position(models.Model):
    """A position (岗位) an employee holds; its competency model is attached to it."""

    family = models.ForeignKey(
        PositionFamily, on_delete=models.PROTECT, related_name="positions", verbose_name=_("family")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["family__code", "code"]

    def __str__(self) -> str:
        return self.name
