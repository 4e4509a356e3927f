import io

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_demo_loads_employees_of_every_role_and_level_and_is_repeatable():
    out = io.StringIO()
    call_command("demo", force=True, stdout=out)
    first_count = User.objects.count()
    call_command("demo", force=True, stdout=io.StringIO())

    assert User.objects.count() == first_count >= 50
    assert set(User.objects.values_list("level", flat=True)) == {0, 1, 2, 3, 4, 5}
    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role
    assert User.objects.values("centre").distinct().count() >= 2
    printed = out.getvalue()
    assert "HB0001" in printed and "demo-pass-2026" in printed


def test_demo_login_printed_by_the_command_works(client):
    call_command("demo", force=True, stdout=io.StringIO())
    response = client.post("/accounts/login/", {"login": "HB0001", "password": "demo-pass-2026"})
    assert response.status_code == 302


def test_demo_refuses_to_run_with_debug_off(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("demo", stdout=io.StringIO())
