import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from knowledgebase.tests.factories import EntryFactory
from review import services
from review.models import CommitteeApplication, Proposal, Recusal, Vote
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def api():
    return APIClient()


# --- web -------------------------------------------------------------------------------


def test_review_queue_is_for_reviewers_and_excludes_own_and_voted(
    client, csr, django_assert_max_num_queries
):
    member = committee_member()
    waiting = RevisionProposalFactory.create_batch(4)
    own = RevisionProposalFactory(proposer=member)
    voted = RevisionProposalFactory()
    Vote.objects.create(proposal=voted, reviewer=member, decision="approve")
    client.force_login(member)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("review:queue"))
    ids = {row["proposal"].pk for row in response.context["rows"]}
    assert ids == {p.pk for p in waiting}
    assert own.pk not in ids
    client.force_login(csr)
    assert client.get(reverse("review:queue")).status_code == 403
    assert client.post(reverse("review:queue")).status_code == 405


def test_proposal_detail_shows_the_diff_and_the_vote_form_to_members(client):
    proposal = RevisionProposalFactory()
    member = committee_member()
    client.force_login(member)
    response = client.get(reverse("review:proposal_detail", args=[proposal.pk]))
    assert response.status_code == 200
    assert "<ins>（已修订）</ins>" in response.content.decode()
    assert response.context["can_vote"]
    client.force_login(proposal.proposer)
    assert not client.get(reverse("review:proposal_detail", args=[proposal.pk])).context["can_vote"]
    client.force_login(UserFactory(roles=["CSR"]))
    assert client.get(reverse("review:proposal_detail", args=[proposal.pk])).status_code == 403
    assert client.get(reverse("review:proposal_detail", args=[999999])).status_code == 404


def test_web_vote_by_the_proposer_is_403_and_by_a_member_is_recorded(client):
    proposal = RevisionProposalFactory(proposer=committee_member())
    client.force_login(proposal.proposer)
    url = reverse("review:proposal_vote", args=[proposal.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403
    member = committee_member()
    client.force_login(member)
    assert client.post(url, {"decision": "approve", "points": "4"}).status_code == 302
    assert Vote.objects.get(proposal=proposal, reviewer=member).extra == {"points": 4}
    assert client.get(url).status_code == 405


def test_committee_page_shows_the_pass_rate_and_lets_an_eligible_employee_apply(client):
    user = UserFactory(level=4, roles=["CSR"])
    for status in ["applied"] * 9 + ["rejected"]:
        RevisionProposalFactory(proposer=user, status=status)
    client.force_login(user)
    page = client.get(reverse("review:committee"), **EN).content.decode()
    assert "90.00%" in page and reverse("review:committee_apply") in page
    assert (
        client.post(reverse("review:committee_apply"), {"statement": "想参与"}).status_code == 302
    )
    assert CommitteeApplication.objects.get(applicant=user).pass_rate_snapshot == 90


def test_ops_manager_appoints_through_the_committee_page(
    client, ops_manager, csr, django_assert_max_num_queries
):
    client.force_login(ops_manager)
    assert (
        client.post(
            reverse("review:committee_appoint"), {"staff_id": csr.staff_id.lower()}
        ).status_code
        == 302
    )
    assert csr.committee_memberships.filter(active=True).exists()
    with django_assert_max_num_queries(15):
        page = client.get(reverse("review:committee"))
    assert len(page.context["members"].object_list) == 1
    client.force_login(csr)
    assert client.post(reverse("review:committee_appoint"), {"staff_id": "X"}).status_code == 403


def test_committee_page_lists_pending_applications_with_a_link_to_their_vote(client, csr):
    # given
    applicant = UserFactory(level=5, roles=["CSR"])
    for status in ["applied"] * 9:
        RevisionProposalFactory(proposer=applicant, status=status)
    application = services.committee_application_submit(applicant=applicant, statement="想参与评审")
    member = committee_member()
    # when / then: members see it and open the vote
    client.force_login(member)
    page = client.get(reverse("review:committee"), **EN).content.decode()
    vote_page = reverse("review:proposal_detail", args=[application.proposal_id])
    assert "想参与评审" in page and vote_page in page
    detail = client.get(vote_page, **EN)
    assert detail.context["can_vote"] and "Level when applying" in detail.content.decode()
    # a plain CSR sees no applications
    client.force_login(csr)
    assert "想参与评审" not in client.get(reverse("review:committee")).content.decode()
    assert client.get(vote_page).status_code == 403


def test_the_old_single_decider_url_is_gone(client, ops_manager):
    application = services.committee_application_submit(applicant=_eligible())
    client.force_login(ops_manager)
    assert (
        client.post(
            f"/review/committee/applications/{application.pk}/decide/", {"accept": "1"}
        ).status_code
        == 404
    )
    application.refresh_from_db()
    assert application.status == "pending"


def test_three_members_admit_an_applicant_through_the_web_and_the_applicant_cannot_vote(
    client, api
):
    # given
    applicant = _eligible()
    application = services.committee_application_submit(applicant=applicant)
    url = reverse("review:proposal_vote", args=[application.proposal_id])
    # when / then: the applicant is refused (web and API)
    client.force_login(applicant)
    assert client.post(url, {"decision": "approve"}).status_code == 403
    api.force_authenticate(applicant)
    own = api.post(
        reverse("api-review-votes", args=[application.proposal_id]),
        {"decision": "approve"},
        format="json",
    )
    assert own.status_code == 403
    # three members approve on the web
    for _ in range(3):
        client.force_login(committee_member())
        assert client.post(url, {"decision": "approve"}).status_code == 302
    application.refresh_from_db()
    assert application.status == "accepted"
    assert type(applicant).objects.get(pk=applicant.pk).groups.filter(name="Reviewer").exists()


def _eligible():
    user = UserFactory(level=4, roles=["CSR"])
    for status in ["applied"] * 9 + ["rejected"]:
        RevisionProposalFactory(proposer=user, status=status)
    return user


# --- API -------------------------------------------------------------------------------


def revision_body(entry, **changes):
    return {
        "kind": "kb_revision",
        "entry_id": entry.pk,
        "base_version": entry.version,
        "title": entry.title,
        "body": entry.body + "补充。",
        "keywords": entry.keywords,
        "category_id": entry.category_id,
        "reason": "更完整",
        **changes,
    }


def test_api_creates_a_kb_revision_proposal(api, csr):
    entry = EntryFactory()
    api.force_authenticate(csr)
    response = api.post(reverse("api-review-proposals"), revision_body(entry), format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "open" and response.json()["base_version"] == 1


def test_api_proposal_errors(api, csr, hr):
    entry = EntryFactory(version=2)
    api.force_authenticate(csr)
    url = reverse("api-review-proposals")
    missing = api.post(url, {"kind": "kb_revision", "entry_id": entry.pk}, format="json", **EN)
    assert (
        missing.status_code == 400
        and "body" in missing.json()["fields"]
        and "reason" in missing.json()["fields"]
    )
    unknown_kind = api.post(url, {"kind": "nope"}, format="json", **EN)
    assert unknown_kind.status_code == 400 and unknown_kind.json() == {
        "detail": "kind: Unknown proposal kind.",
        "code": "invalid",
        "fields": {"kind": ["Unknown proposal kind."]},
    }
    outdated = api.post(url, revision_body(entry, base_version=1), format="json", **EN)
    assert outdated.status_code == 409 and outdated.json()["code"] == "outdated_base_version"
    assert outdated.json()["detail"].endswith("Rebase your proposal on the current version.")
    assert api.post(url, revision_body(entry, entry_id=999999), format="json").status_code == 404
    assert api.get(url).status_code == 405
    api.force_authenticate(hr)
    assert api.post(url, revision_body(entry), format="json").status_code == 403


def test_api_vote_messages(api, csr):
    proposal = RevisionProposalFactory(proposer=committee_member())
    url = reverse("api-review-votes", args=[proposal.pk])
    api.force_authenticate(csr)
    not_member = api.post(url, {"decision": "approve"}, format="json", **EN)
    assert not_member.status_code == 403
    assert not_member.json() == {
        "detail": "Only active review committee members may vote.",
        "code": "permission_denied",
    }
    api.force_authenticate(proposal.proposer)
    own = api.post(url, {"decision": "approve"}, format="json", **EN)
    assert own.status_code == 403 and own.json() == {
        "detail": "You cannot vote on your own proposal.",
        "code": "permission_denied",
    }
    members = [committee_member() for _ in range(4)]
    for m in members[:3]:
        api.force_authenticate(m)
        assert (
            api.post(
                url, {"decision": "approve", "extra": {"points": 3}}, format="json"
            ).status_code
            == 201
        )
    api.force_authenticate(members[3])
    closed = api.post(url, {"decision": "approve", "extra": {"points": 3}}, format="json", **EN)
    assert closed.status_code == 409 and closed.json() == {
        "detail": "This proposal is no longer open.",
        "code": "proposal_closed",
    }
    assert api.post(url, {"decision": "maybe"}, format="json").status_code == 400
    assert (
        api.post(
            reverse("api-review-votes", args=[999999]), {"decision": "approve"}, format="json"
        ).status_code
        == 404
    )
    assert api.get(url).status_code == 405
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED


def test_api_committee_application(api, csr):
    api.force_authenticate(csr)
    url = reverse("api-review-applications")
    refused = api.post(url, {}, format="json", **EN)
    assert (
        refused.status_code == 400 and "Level 4 or above is required." in refused.json()["detail"]
    )
    user = UserFactory(level=4)
    for status in ["applied"] * 7:
        RevisionProposalFactory(proposer=user, status=status)
    api.force_authenticate(user)
    response = api.post(url, {"statement": "申请"}, format="json")
    assert response.status_code == 201 and response.json()["pass_rate_snapshot"] == "100.00"
    assert Proposal.objects.get(pk=response.json()["proposal"]).kind == "committee_application"
    assert api.get(url).status_code == 405


def test_admin_pages_of_the_review_models_load_read_only(client):
    # given: a quality-case-like proposal with a recusal and an approving vote with its amount
    admin = UserFactory(is_staff=True, is_superuser=True)
    proposal = RevisionProposalFactory()
    Recusal.objects.create(proposal=proposal, employee=UserFactory())
    services.proposal_vote(
        proposal_id=proposal.pk,
        reviewer=committee_member(),
        decision="approve",
        extra={"points": 4},
    )
    client.force_login(admin)
    # when / then
    for name in ("proposal", "vote", "recusal", "committeeapplication"):
        assert client.get(reverse(f"admin:review_{name}_changelist")).status_code == 200, name
    page = client.get(reverse("admin:review_proposal_change", args=[proposal.pk])).content.decode()
    assert "{&quot;points&quot;: 4}" in page  # the vote inline shows the amount
    assert client.get(reverse("admin:review_recusal_add")).status_code == 403
