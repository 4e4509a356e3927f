import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_are_in_simplified_chinese_by_default(csr):
    client = Client()
    client.force_login(csr)
    content = client.get(reverse("home")).content.decode()
    assert 'lang="zh-hans"' in content
    assert "首页" in content  # "Home" in the navigation
    assert "我的学习" in content


def test_english_is_available_through_the_language_switch(csr):
    client = Client()
    client.force_login(csr)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    content = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in content
    assert "My learning" in content
