"""Helpers for data migrations that give roles (groups) permissions.

Permissions are normally created after all migrations ran (post_migrate), so a migration
that assigns them must create them first; these helpers do both. Keep them stable: old
migrations import them.
"""

from django.contrib.auth.management import create_permissions


def ensure_permissions(apps, app_label: str) -> None:
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def grant_permissions(apps, grants: dict[str, list[str]]) -> None:
    """Give each group (created if missing) the permissions "app_label.codename".

    "app_label.*" stands for every permission on that app's models.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_label in {p.split(".", 1)[0] for perms in grants.values() for p in perms}:
        ensure_permissions(apps, app_label)
    for group_name, perms in grants.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                qs = qs.filter(codename=codename)
            found = list(qs)
            if not found:
                raise RuntimeError(f"No permission {perm} for group {group_name}")
            group.permissions.add(*found)


def revoke_permissions(apps, grants: dict[str, list[str]]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in grants.items():
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            continue
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                qs = qs.filter(codename=codename)
            group.permissions.remove(*qs)
