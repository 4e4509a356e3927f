from rest_framework.permissions import BasePermission


def has_perm(perm: str) -> type[BasePermission]:
    """A DRF permission class requiring the Django permission ``perm`` (e.g. accounts.review)."""

    class _HasPerm(BasePermission):
        message = "You do not have permission to perform this action."

        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.is_authenticated and request.user.has_perm(perm))

    _HasPerm.__name__ = f"HasPerm[{perm}]"
    return _HasPerm
