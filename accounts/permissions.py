from rest_framework.permissions import BasePermission

from accounts.rules import allowed


def has_perm(perm: str) -> type[BasePermission]:
    """A DRF permission class requiring the Django permission ``perm`` (e.g. accounts.review)."""

    class _HasPerm(BasePermission):
        message = "You do not have permission to perform this action."

        def has_permission(self, request, view) -> bool:
            return bool(
                request.user and request.user.is_authenticated and request.user.has_perm(perm)
            )

    _HasPerm.__name__ = f"HasPerm[{perm}]"
    return _HasPerm


def object_rule(name: str) -> type[BasePermission]:
    """A DRF permission class asking the named object rule ``name`` (accounts/rules.py) about
    the object the view passes to ``check_object_permissions`` (403 when it refuses)."""

    class _ObjectRule(BasePermission):
        message = "You do not have permission to perform this action."

        def has_object_permission(self, request, view, obj) -> bool:
            return bool(
                request.user and request.user.is_authenticated and allowed(name, request.user, obj)
            )

    _ObjectRule.__name__ = f"ObjectRule[{name}]"
    return _ObjectRule
