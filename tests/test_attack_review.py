"""Attacks tried in the hardening review that the rules withstood: kept so they keep
withstanding them. (The attacks that found holes live beside the rule they broke:
points/tests/test_integrity_attacks.py, casebase/tests/test_integrity_attacks.py,
accounts/tests/test_permission_cache.py.)"""

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from accounts import roles
from accounts.models import User
from accounts.tests.factories import UserFactory
from review.models import CommitteeMembership, Vote
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


# --- body limits -----------------------------------------------------------------------------


def test_a_multipart_body_with_a_huge_text_field_is_413_in_the_one_error_shape(api, csr):
    # given: a 3 MB non-file field (DATA_UPLOAD_MAX_MEMORY_SIZE 2.5 MB) on an API endpoint
    api.force_authenticate(csr)
    # when
    response = api.post(
        reverse("api-review-proposals"),
        {"kind": "kb_revision", "reason": "x" * 3_000_000},
        format="multipart",
    )
    # then: 413 as JSON (it was Django's HTML 400 page), like a JSON body of that size
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is larger than 2560 KB."


@pytest.mark.parametrize("url", ["api-review-proposals", "api-cases-voice-proposals"])
def test_a_multipart_body_with_too_many_fields_is_400_in_the_one_error_shape(api, csr, url):
    api.force_authenticate(csr)
    response = api.post(reverse(url), {f"f{n}": "x" for n in range(1001)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"] == "The request has too many fields or files."


def test_a_chunked_body_without_content_length_is_read_as_empty(csr):
    # given: a JSON body sent without Content-Length (chunked transfer): Django reads no byte of it
    from rest_framework.test import force_authenticate

    from review.api import ProposalCreateView

    payload = json.dumps({"kind": "kb_revision", "reason": "x" * 3_000_000}).encode()
    request = RequestFactory().generic(
        "POST", "/api/review/proposals/", b"", content_type="application/json"
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = io.BytesIO(payload)
    force_authenticate(request, user=csr)
    # when
    response = ProposalCreateView.as_view()(request)
    # then: an empty body, refused by the serializers (400), the 3 MB never read
    assert response.status_code == 400
    assert request.META["wsgi.input"].tell() == 0


# --- committee: removal and the cached permission --------------------------------------------


def test_a_removed_member_cannot_vote_even_with_a_cached_review_permission(api):
    # given: a member whose REVIEW permission is cached, removed by an operations manager
    member = committee_member()
    assert User.objects.get(pk=member.pk).has_perm(roles.REVIEW)
    from review.services import committee_member_remove

    committee_member_remove(
        membership_id=CommitteeMembership.objects.get(member=member).pk,
        removed_by=UserFactory(roles=["Operations manager"]),
    )
    proposal = RevisionProposalFactory()
    api.force_authenticate(User.objects.get(pk=member.pk))
    # when
    response = api.post(
        reverse("api-review-votes", args=[proposal.pk]), {"decision": "reject"}, format="json"
    )
    # then
    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_an_operations_manager_keeping_the_review_permission_cannot_vote_once_removed(api):
    boss = UserFactory(roles=["Operations manager"])
    membership = CommitteeMembership.objects.create(
        member=boss, source=CommitteeMembership.Source.APPOINTED
    )
    membership.active = False
    membership.save()
    api.force_authenticate(boss)
    response = api.post(
        reverse("api-review-votes", args=[RevisionProposalFactory().pk]),
        {"decision": "reject"},
        format="json",
    )
    assert response.status_code == 403


def test_a_staff_manager_cannot_appoint_themselves_through_admin(client, training_manager):
    # given: a training manager with admin access (is_staff) but no admin model permissions
    client.force_login(training_manager)
    reviewer_group = Group.objects.get(name=roles.Role.REVIEWER)
    # when: they post their own user form with the Reviewer group, and try to add a membership
    change = client.post(
        reverse("admin:accounts_user_change", args=[training_manager.pk]),
        {
            "staff_id": training_manager.staff_id,
            "name": training_manager.name,
            "groups": [reviewer_group.pk],
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    add = client.post(
        reverse("admin:review_committeemembership_add"), {"member": training_manager.pk}
    )
    # then
    assert change.status_code == 403 and add.status_code == 403
    training_manager.refresh_from_db()
    assert (
        not training_manager.is_superuser
        and not training_manager.groups.filter(pk=reviewer_group.pk).exists()
    )
    assert not CommitteeMembership.objects.exists()


def test_a_deactivated_employee_token_is_refused(api, csr):
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=csr)
    csr.is_active = False
    csr.save()
    response = api.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401


# --- recordings ------------------------------------------------------------------------------


def test_a_csr_enumerating_case_ids_hears_no_test_case_and_records_no_exposure(client, csr):
    from casebase.models import CaseExposure
    from casebase.tests.test_recordings import voice_case

    tests = [voice_case(level=level, split="test") for level in (1, 2, 3)]
    history = voice_case(level=2, split="test", status="history")
    client.force_login(csr)
    for case in [*tests, history]:
        assert client.get(reverse("casebase:recording", args=[case.pk])).status_code == 404
        assert client.get(reverse("casebase:case_detail", args=[case.pk])).status_code == 404
        assert client.get(reverse("casebase:history_detail", args=[case.pk])).status_code in (
            403,
            404,
        )
    assert client.get(reverse("casebase:recording", args=[history.pk + 1000])).status_code == 404
    assert not CaseExposure.objects.exists()


def test_a_deactivated_employee_session_ends_at_the_next_request(client, csr):
    # given: a logged-in CSR (cached_db session) whose account is then deactivated
    client.force_login(csr)
    assert client.get(reverse("casebase:library")).status_code == 200
    User.objects.filter(pk=csr.pk).update(is_active=False)
    # when / then: the cached session no longer authenticates
    response = client.get(reverse("casebase:library"))
    assert response.status_code == 403 and response.wsgi_request.user.is_anonymous


# --- review points: the daily cap across kinds ------------------------------------------------


def test_the_daily_review_points_cap_counts_kb_and_case_reviews_together():
    from types import SimpleNamespace

    from points.models import PointRule, PointsEntry
    from points.services import review_votes_pay

    member = committee_member()
    vote = SimpleNamespace(reviewer_id=member.pk, reviewer=member)
    pay = [
        (1, PointRule.COMMITTEE_CASE_REVIEW),
        (2, PointRule.COMMITTEE_CASE_REVIEW),  # 40
        (3, PointRule.COMMITTEE_KB_REVIEW),
        (4, PointRule.COMMITTEE_KB_REVIEW),  # 50
        (5, PointRule.COMMITTEE_KB_REVIEW),
        (6, PointRule.COMMITTEE_CASE_REVIEW),
    ]  # capped
    for pk, rule in pay:
        review_votes_pay(
            proposal=SimpleNamespace(pk=pk, kind="x"), votes=[vote], rule_code=rule, daily_cap=50
        )
    assert sum(PointsEntry.objects.filter(employee=member).values_list("amount", flat=True)) == 50
