"""The study page's widgets answer htmx requests with fragments (and keep plain POST + redirect
without JavaScript): "Mark as studied", and the rating, which is once only."""

import pytest
from django.urls import reverse

from casebase.models import Case, CaseRating, CaseStudy
from casebase.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_the_study_page_wires_both_widgets_to_htmx_with_a_plain_form_fallback(client, csr):
    case = CaseFactory(level=1)
    client.force_login(csr)
    page = client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    studied_url, rate_url = (
        reverse("casebase:case_studied", args=[case.pk]),
        reverse("casebase:case_rate", args=[case.pk]),
    )
    assert f'action="{studied_url}"' in page and f'hx-post="{studied_url}"' in page
    assert f'action="{rate_url}"' in page and f'hx-post="{rate_url}"' in page
    assert 'id="flash"' in page and 'aria-live="polite"' in page
    assert page.count('hx-disabled-elt="find button"') == 2


def test_marking_studied_with_htmx_returns_the_studied_line_and_feedback(client, csr):
    # given
    case = CaseFactory(level=1)
    client.force_login(csr)
    # when
    response = client.post(reverse("casebase:case_studied", args=[case.pk]), headers=HTMX)
    # then: a fragment, not a redirect and not a page
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="studied-box"' in body and "Studied on" in body
    assert 'hx-swap-oob="innerHTML"' in body and "Marked as studied." in body
    assert CaseStudy.objects.filter(case=case, employee=csr).count() == 1
    # and the flash does not come back on the next page load (it was shown in place)
    assert (
        "Marked as studied."
        not in client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    )


def test_marking_studied_without_htmx_still_redirects_to_the_case(client, csr):
    case = CaseFactory(level=1)
    client.force_login(csr)
    response = client.post(reverse("casebase:case_studied", args=[case.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "casebase:case_detail", args=[case.pk]
    )


def test_studying_a_voice_case_with_htmx_brings_the_reflection_form(client, csr):
    case = CaseFactory(level=1)
    Case.objects.filter(pk=case.pk).update(kind=Case.Kind.VOICE)
    client.force_login(csr)
    body = client.post(
        reverse("casebase:case_studied", args=[case.pk]), headers=HTMX
    ).content.decode()
    assert 'id="reflections" hx-swap-oob="true"' in body and 'id="reflection-form"' in body


def test_rating_with_htmx_returns_the_rating_and_feedback(client, csr):
    case = CaseFactory(level=1)
    client.force_login(csr)
    response = client.post(
        reverse("casebase:case_rate", args=[case.pk]), {"value": "excellent"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert (
        'id="my-rating"' in body and "You rated: Excellent" in body and 'name="value"' not in body
    )
    assert "Your rating was saved." in body
    assert list(CaseRating.objects.filter(case=case).values_list("employee_id", "value")) == [
        (csr.pk, "excellent")
    ]


def test_rating_twice_with_htmx_is_a_409_fragment_with_the_reason_and_changes_nothing(client, csr):
    # given
    case = CaseFactory(level=1)
    client.force_login(csr)
    url = reverse("casebase:case_rate", args=[case.pk])
    client.post(url, {"value": "excellent"}, headers=HTMX)
    # when: a second rating (another tab still showing the form)
    response = client.post(url, {"value": "poor"}, headers=HTMX)
    # then
    body = response.content.decode()
    assert response.status_code == 409
    assert "<html" not in body and 'id="rating-error"' in body
    assert "You have already rated this case; a rating cannot be changed." in body
    assert "You rated: Excellent" in body  # the rating that stands
    assert "Your rating was saved." not in body
    assert list(CaseRating.objects.filter(case=case).values_list("value", flat=True)) == [
        "excellent"
    ]


def test_rating_without_a_value_with_htmx_is_a_400_fragment_with_the_form(client, csr):
    case = CaseFactory(level=1)
    client.force_login(csr)
    response = client.post(
        reverse("casebase:case_rate", args=[case.pk]), {"value": "best"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert (
        "Choose excellent, average or poor." in body
        and 'name="value"' in body
        and "<html" not in body
    )
    assert not CaseRating.objects.exists()


@pytest.mark.parametrize("view", ["casebase:case_studied", "casebase:case_rate"])
def test_htmx_posts_keep_the_permission_checks(client, csr, hr, view):
    # given: a test case (outside the study scope) and someone who does not study
    test_case = CaseFactory(level=1, split=Case.Split.TEST)
    training = CaseFactory(level=1)
    client.force_login(csr)
    # then: 404 for a test case, 403 for another role, htmx or not
    assert (
        client.post(reverse(view, args=[test_case.pk]), {"value": "poor"}, headers=HTMX).status_code
        == 404
    )
    client.force_login(hr)
    assert (
        client.post(reverse(view, args=[training.pk]), {"value": "poor"}, headers=HTMX).status_code
        == 403
    )
    assert not CaseRating.objects.exists() and not CaseStudy.objects.exists()
