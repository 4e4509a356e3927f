"""The Content-Security-Policy and the pages that must pass it: no inline scripts, styles or
event handlers on any page a role can reach from its navigation (plus pages with their own
scripts: the exam, the Q-sort, the certificate, the API docs, login and admin)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.navigation import navigation_for

pytestmark = pytest.mark.django_db

INLINE = [
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
        "inline <script>",
    ),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"\sstyle=[\"']", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+=[\"']", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def inline_code(html: str) -> list[str]:
    return [
        f"{label}: {m.group(0)[:80]}" for pattern, label in INLINE for m in pattern.finditer(html)
    ]


def test_every_response_carries_a_strict_policy(client, csr):
    client.force_login(csr)
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize(
    "role", ["csr", "reviewer", "training_manager", "hr", "ops_manager", "team_leader"]
)
def test_no_page_in_a_roles_navigation_has_inline_code(role, request):
    user = request.getfixturevalue(role)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    urls = {reverse("home")} | {item["url"] for item in navigation_for(user)}
    found = {}
    for url in sorted(urls):
        response = client.get(url)
        assert response.status_code == 200, url
        if response.get("Content-Type", "").startswith("text/html"):
            problems = inline_code(response.content.decode())
            if problems:
                found[url] = problems
    assert found == {}


def test_pages_with_their_own_behaviour_have_no_inline_code(client, csr, training_manager):
    from promotion.tests.factories import make_test_cases

    make_test_cases(1, 10)
    client.force_login(csr)
    client.post(reverse("promotion:exam_start"), {"level": 1})
    attempt = csr.promotion_exam_attempts.get()
    pages = [
        reverse("promotion:exam_take", args=[attempt.pk]),
        reverse("api-docs"),
        reverse("promotion:my_level"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url
    client.logout()
    assert inline_code(client.get(reverse("account_login")).content.decode()) == []
    client.force_login(training_manager)
    for url in (reverse("admin:index"), reverse("competency:round_create")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url


def test_the_level_stylesheet_gives_badges_their_colours(client):
    from promotion.models import Level

    Level.objects.filter(number=3).update(badge_colour="#123456")
    response = client.get(reverse("theme_css"))
    assert response["Content-Type"].startswith("text/css")
    assert (
        ".level-badge.level-3 { background:#123456; color:#ffffff; }" in response.content.decode()
    )
    assert client.get(reverse("theme_css"), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_colour_written_around_the_validator_never_reaches_the_stylesheet(client):
    from promotion.models import Level

    Level.objects.filter(number=2).update(badge_colour="};*{a:0")  # 7 characters: the column's size
    css = client.get(reverse("theme_css")).content.decode()
    assert "level-2" not in css and "*{a:0" not in css
