"""What every page carries: an icon (no 404 on /favicon.ico), a skip link to the content,
flash messages announced to screen readers, the shared script that disables a form's submit
buttons while it is sent; and the API docs send a logged-out person to the login page."""

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_not_a_404_on_every_page_load(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
    assert finders.find("img/favicon.svg")


def test_pages_name_their_icon(client, csr):
    client.force_login(csr)
    assert 'rel="icon"' in client.get(reverse("home")).content.decode()


def test_every_page_has_a_skip_link_to_the_main_content(client):
    content = client.get(reverse("account_login")).content.decode()
    assert 'class="skip-link" href="#main"' in content and 'id="main"' in content


def test_flash_messages_are_announced(csr, rf):
    # given a page with a flash message
    request = rf.get("/")
    request.user = csr
    request.session = {}
    request._messages = FallbackStorage(request)
    messages.success(request, "Saved.")
    # when it is rendered
    html = render_to_string("base.html", request=request)
    # then screen readers announce the message list
    assert 'role="status" aria-live="polite"' in html and "Saved." in html


def test_the_api_docs_send_a_logged_out_person_to_the_login_page():
    response = Client().get(reverse("api-docs"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_api_docs_still_open_for_a_logged_in_person(client, csr):
    client.force_login(csr)
    assert client.get(reverse("api-docs")).status_code == 200


def test_the_shared_script_disables_submit_buttons_of_a_form_being_sent(client):
    script = open(finders.find("js/submitting.js"), encoding="utf-8").read()
    assert (
        'addEventListener("submit"' in script
        and "disabled = busy" in script
        and '"pageshow"' in script
    )
    # every page loads it, with the button's label in the page's language
    html = client.get(reverse("account_login")).content.decode()
    assert 'src="/static/js/submitting.js" data-label="Submitting…" defer' in html


def test_the_api_docs_open_with_an_api_token(csr):
    # a program that logs in for a token is not sent to the login page
    from accounts.tests.factories import PASSWORD

    client = Client()
    token = client.post(
        reverse("api-token"),
        {"staff_id": csr.staff_id, "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]
    response = client.get(reverse("api-docs"), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
