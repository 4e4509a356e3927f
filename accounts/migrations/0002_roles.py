from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen copy of accounts.roles.ROLE_PERMISSIONS as of this migration; later migrations
# add permissions for later features.
ROLE_PERMISSIONS = {
    "CSR": ["study"],
    "Reviewer": ["review"],
    "Training manager": ["manage_training", "view_employees"],
    "HR": ["export_rosters", "view_employees"],
    "Operations manager": ["manage_operations", "view_employees", "review"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); make sure the
    # accounts ones exist now so the groups can hold them.
    accounts_config = apps.get_app_config("accounts")
    accounts_config.models_module = True
    create_permissions(accounts_config, apps=apps, verbosity=0)
    accounts_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        if perms.count() != len(codenames):
            raise RuntimeError(f"Missing permissions for role {group_name}: {codenames}")
        group.permissions.add(*perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
