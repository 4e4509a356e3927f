"""The knowledge base's part of the home page: its line of the operations manager's desk
(points.desk). Registered from KnowledgebaseConfig.ready()."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from knowledgebase.services import can_maintain
from points.desk import DeskItem, DeskLine, register_line


def desk_maintain(user) -> DeskItem | None:
    if not can_maintain(user):
        return None
    return DeskItem("kb", _("Maintain the knowledge base"), reverse("knowledgebase:maintain"))


def register() -> None:
    register_line(DeskLine(code="kb", order=90, read=desk_maintain))
