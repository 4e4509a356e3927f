"""Quality-case review: a contributor applies, the committee (without the contributors)
chooses the extra points and the one outstanding contributor."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from casebase.models import Case
from casebase.review_kinds import outstanding_contributor
from casebase.selectors import case_contributors
from casebase.services.errors import CaseConflict, CasePermissionDenied
from casebase.services.proposals import case_new_propose, case_revision_propose
from casebase.services.quality import quality_case_apply
from casebase.tests.factories import CaseFactory, category, sample_tree
from points.models import PointsEntry
from review import registry
from review.models import CommitteeMembership, Proposal, ReviewSettings
from review.selectors import approvals, review_queue
from review.services import ReviewPermissionDenied, VoteExtraInvalid, proposal_vote
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def csr():
    return UserFactory(roles=["CSR"])


def approve_case(proposal, points):
    extra = {
        "points": points,
        **({"level": 1, "split": "training"} if proposal.kind == "case_new" else {}),
    }
    for _ in range(3):
        proposal_vote(
            proposal_id=proposal.pk, reviewer=committee_member(), decision="approve", extra=extra
        )


def contributed_case():
    """A case created by A naming B, then revised by C naming D (both accepted), and an
    unrelated rejected revision by E naming F. Returns (case, [A, B, C, D], E, F)."""
    a, b, c, d, e, f = (csr() for _ in range(6))
    created = case_new_propose(
        proposer=a,
        kind="text",
        title="停机投诉",
        category_id=category().pk,
        reason="典型",
        tree=sample_tree(),
        participants=[b.staff_id],
    )
    approve_case(created, 30)
    case = Case.objects.get(pk=Proposal.objects.get(pk=created.pk).target_id)

    def revise(proposer, participant, title):
        case.refresh_from_db()
        return case_revision_propose(
            proposer=proposer,
            case_id=case.pk,
            base_version=case.version,
            reason="更清楚",
            title=title,
            category_id=case.category_id,
            background=case.background,
            tree=sample_tree(),
            participants=[participant.staff_id],
        )

    approve_case(revise(c, d, "停机投诉（修订）"), 10)
    rejected = revise(e, f, "另一个标题")
    for _ in range(2):
        proposal_vote(
            proposal_id=rejected.pk, reviewer=committee_member(), decision="reject", comment="不好"
        )
    case.refresh_from_db()
    return case, [a, b, c, d], e, f


def apply(applicant, case, statement="回访部分写得很完整"):
    return quality_case_apply(applicant=applicant, case_id=case.pk, statement=statement)


def vote_quality(proposal, member, points, outstanding, decision="approve"):
    extra = {"points": points, "outstanding": outstanding.pk} if decision == "approve" else None
    return proposal_vote(
        proposal_id=proposal.pk, reviewer=member, decision=decision, comment="看过", extra=extra
    )


def quality_rows(proposal):
    return sorted(
        PointsEntry.objects.filter(source__startswith=f"quality-case:{proposal.pk}:").values_list(
            "employee_id", "rule__code", "amount"
        )
    )


def test_the_contributors_are_the_author_and_the_people_of_the_accepted_creations_and_revisions():
    case, (a, b, c, d), e, f = contributed_case()
    contributors = case_contributors(case)
    assert [x.employee for x in contributors] == [
        a,
        b,
        c,
        d,
    ]  # not E or F: their revision was rejected
    assert contributors[0].authored and not contributors[1].authored
    assert (
        len(contributors[0].proposals) == 1
        and contributors[2].proposals == contributors[3].proposals
    )


def test_only_a_contributor_may_apply():
    # given
    case, people, rejected_proposer, _ = contributed_case()
    # when / then: an outsider and the proposer of a rejected revision are refused
    for outsider in (csr(), rejected_proposer):
        with pytest.raises(CasePermissionDenied, match="^Only the case's contributors"):
            apply(outsider, case)
    assert not Proposal.objects.filter(kind="quality_case").exists()
    # a named participant may apply
    proposal = apply(people[3], case)
    assert (proposal.kind, proposal.status, proposal.target, proposal.base_version) == (
        "quality_case",
        "open",
        case,
        case.version,
    )
    assert proposal.payload["contributors"] == [p.pk for p in people]


def test_a_non_contributor_is_refused_on_the_web_and_through_the_api(client):
    case, people, _, _ = contributed_case()
    outsider = csr()
    client.force_login(outsider)
    url = reverse("casebase:quality_apply", args=[case.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"statement": "我也想要"}).status_code == 403
    api = APIClient()
    api.force_authenticate(outsider)
    response = api.post(
        reverse("api-review-proposals"),
        {"kind": "quality_case", "case_id": case.pk, "statement": "我也想要"},
        format="json",
        **EN,
    )
    assert response.status_code == 403 and response.json()["detail"].startswith(
        "Only the case's contributors"
    )
    assert not Proposal.objects.filter(kind="quality_case").exists()


def test_a_contributor_applies_through_the_case_page_and_the_api(client):
    # given: a training case of the contributor's study scope
    case, people, _, _ = contributed_case()
    client.force_login(people[0])
    # when / then: the case page offers the action, the form creates the application
    page = client.get(reverse("casebase:case_detail", args=[case.pk]), **EN).content.decode()
    assert reverse("casebase:quality_apply", args=[case.pk]) in page
    missing = client.post(reverse("casebase:quality_apply", args=[case.pk]), {"statement": ""})
    assert missing.status_code == 400 and missing.context["form"].errors["statement"]
    response = client.post(
        reverse("casebase:quality_apply", args=[case.pk]), {"statement": "回访写得好"}
    )
    proposal = Proposal.objects.get(kind="quality_case")
    assert response.status_code == 302 and response.url == reverse(
        "review:proposal_detail", args=[proposal.pk]
    )
    # a second one while it is open is refused (page shows why, API 400)
    page = client.get(reverse("casebase:case_detail", args=[case.pk]), **EN).content.decode()
    assert "This case already has an open quality-case application." in page
    api = APIClient()
    api.force_authenticate(people[1])
    again = api.post(
        reverse("api-review-proposals"),
        {"kind": "quality_case", "case_id": case.pk, "statement": "再申请"},
        format="json",
        **EN,
    )
    assert again.status_code == 409 and again.json() == {
        "detail": "This case already has an open quality-case application.",
        "code": "quality_application_open",
    }
    for body in (
        {"kind": "quality_case", "case_id": case.pk},
        {"kind": "quality_case", "case_id": "x", "statement": "s"},
        {"kind": "quality_case", "case_id": 2**70, "statement": "s"},
    ):
        assert api.post(reverse("api-review-proposals"), body, format="json").status_code == 400
    assert (
        api.post(
            reverse("api-review-proposals"),
            {"kind": "quality_case", "case_id": 999999, "statement": "s"},
            format="json",
        ).status_code
        == 404
    )
    # an outsider's case page has no action
    client.force_login(csr())
    assert (
        "quality-review"
        not in client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    )


def test_a_participant_named_in_a_new_revision_sees_the_action_on_the_case_page(client):
    # given: an outsider whose case page (and the kept contributor list) says "not yours"
    case, people, _, _ = contributed_case()
    outsider = csr()
    client.force_login(outsider)
    url = reverse("casebase:case_detail", args=[case.pk])
    assert "quality-review" not in client.get(url).content.decode()
    # when: a revision naming them is accepted (a new version of the case)
    approve_case(
        case_revision_propose(
            proposer=people[0],
            case_id=case.pk,
            base_version=case.version,
            reason="补充回访",
            title=f"{case.title}（补充）",
            category_id=case.category_id,
            background=case.background,
            tree=sample_tree(),
            participants=[outsider.staff_id],
        ),
        10,
    )
    # then: the page offers them the application at once
    page = client.get(url, **EN).content.decode()
    assert reverse("casebase:quality_apply", args=[case.pk]) in page


def test_neither_the_applicant_nor_any_contributor_can_vote_on_the_application():
    # given: a contributor who is also a committee member
    case, people, _, _ = contributed_case()
    member_contributor = people[2]
    member_contributor.groups.add(Group.objects.get(name="Reviewer"))
    CommitteeMembership.objects.create(member=member_contributor, source="appointed")
    member_contributor = type(member_contributor).objects.get(pk=member_contributor.pk)
    proposal = apply(people[0], case)
    # when / then: service and API refuse; the queue does not offer it
    with pytest.raises(ReviewPermissionDenied, match="conflict of interest"):
        vote_quality(proposal, member_contributor, 10, member_contributor)
    api = APIClient()
    for user in (member_contributor, people[0]):
        api.force_authenticate(user)
        response = api.post(
            reverse("api-review-votes", args=[proposal.pk]),
            {"decision": "approve", "extra": {"points": 10, "outstanding": user.pk}},
            format="json",
        )
        assert response.status_code == 403
    assert proposal not in review_queue(reviewer=member_contributor)
    assert proposal in review_queue(reviewer=committee_member())
    assert not proposal.votes.exists()


def test_a_passed_review_pays_each_contributor_the_median_and_exactly_one_the_outstanding_points():
    # given
    case, (a, b, c, d), _, _ = contributed_case()
    proposal = apply(b, case)
    before = {p.pk: p.points_entries.count() for p in (a, b, c, d)}
    members = [committee_member() for _ in range(3)]
    # when: amounts 5, 10, 7; C named twice, A once
    vote_quality(proposal, members[0], 5, a)
    vote_quality(proposal, members[1], 10, c)
    vote_quality(proposal, members[2], 7, c)
    proposal.refresh_from_db()
    # then
    assert proposal.status == "applied"
    assert quality_rows(proposal) == sorted(
        [(p.pk, "quality_case_participant", 7) for p in (a, b, c, d)]
        + [(c.pk, "quality_case_outstanding", 60)]
    )
    assert PointsEntry.objects.get(source=f"quality-case:{proposal.pk}:outstanding").employee == c
    assert {p.pk: p.points_entries.count() - before[p.pk] for p in (a, b, c, d)} == {
        a.pk: 1,
        b.pk: 1,
        c.pk: 2,
        d.pk: 1,
    }
    # reviewers: the committee case review rule per vote
    assert [m.points_entries.get().amount for m in members] == [20, 20, 20]
    # replaying the hook pays nothing more
    registry.get_kind("quality_case").on_applied(proposal, approvals(proposal))
    assert len(quality_rows(proposal)) == 5


def test_a_tie_for_outstanding_goes_to_the_first_named_in_voting_order():
    case, (a, b, c, d), _, _ = contributed_case()
    ReviewSettings.objects.filter(pk=1).update(approvals_required=4)
    proposal = apply(a, case)
    for outstanding in (d, b, d, b):  # 2–2: D was named first (the last vote names B)
        vote_quality(proposal, committee_member(), 6, outstanding)
    assert PointsEntry.objects.get(source=f"quality-case:{proposal.pk}:outstanding").employee == d
    assert {row[2] for row in quality_rows(proposal) if row[1] == "quality_case_participant"} == {6}


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        ([], None),
        ([7], 7),
        ([7, 8, 8], 8),
        ([8, 7, 7, 8], 8),
        ([7, 8, 9], 7),
        ([9, None, 8, 8], 8),
    ],
)
def test_outstanding_contributor_is_the_most_named_with_ties_to_the_earliest(named, expected):
    votes = [type("V", (), {"extra": {"outstanding": pk} if pk else {}})() for pk in named]
    assert outstanding_contributor(votes) == expected


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"points": 4, "outstanding": "B"}, "points"),
        ({"points": 11, "outstanding": "B"}, "points"),
        ({"points": "abc", "outstanding": "B"}, "points"),
        ({"points": 3000000000, "outstanding": "B"}, "points"),
        ({"outstanding": "B"}, "points"),
        ({"points": 8}, "outstanding"),
        ({"points": 8, "outstanding": "x"}, "outstanding"),
        ({"points": 8, "outstanding": [1]}, "outstanding"),
    ],
)
def test_the_vote_needs_5_to_10_points_and_one_outstanding_contributor(extra, field):
    case, people, _, _ = contributed_case()
    proposal = apply(people[0], case)
    if extra.get("outstanding") == "B":
        extra = {**extra, "outstanding": people[1].pk}
    with pytest.raises(VoteExtraInvalid) as refused:
        proposal_vote(
            proposal_id=proposal.pk, reviewer=committee_member(), decision="approve", extra=extra
        )
    assert list(refused.value.errors) == [field]


def test_the_outstanding_contributor_must_be_one_of_the_contributors():
    case, people, outsider, _ = contributed_case()
    proposal = apply(people[0], case)
    with pytest.raises(VoteExtraInvalid) as refused:
        vote_quality(proposal, committee_member(), 8, outsider)
    assert list(refused.value.errors) == ["outstanding"]


def test_the_review_page_shows_the_case_the_contributors_and_the_vote_fields(client):
    case, (a, b, c, d), _, _ = contributed_case()
    proposal = apply(a, case)
    client.force_login(committee_member())
    response = client.get(reverse("review:proposal_detail", args=[proposal.pk]), **EN)
    html = response.content.decode()
    assert "我的话费怎么多扣了50元？" in html  # the case's tree
    for person in (a, b, c, d):
        assert f"{person.name} ({person.staff_id})" in html
    assert 'name="outstanding"' in html and 'min="5"' in html and 'max="10"' in html
    # approving through the web with the form fields
    client.post(
        reverse("review:proposal_vote", args=[proposal.pk]),
        {"decision": "approve", "points": "9", "outstanding": str(b.pk)},
    )
    assert proposal.votes.get().extra == {"points": 9, "outstanding": b.pk}
    # a contributor may read the application about them but not vote (web 403 too)
    client.force_login(c)
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk]), **EN)
    assert page.status_code == 200 and not page.context["can_vote"]
    assert "conflict of interest" in page.content.decode()
    assert (
        client.post(
            reverse("review:proposal_vote", args=[proposal.pk]),
            {"decision": "approve", "points": "9", "outstanding": str(c.pk)},
        ).status_code
        == 403
    )
    assert proposal.votes.count() == 1


def test_a_passed_case_may_apply_again_only_after_a_later_accepted_revision():
    # given: a passed review
    case, people, _, _ = contributed_case()
    proposal = apply(people[0], case)
    for _ in range(3):
        vote_quality(proposal, committee_member(), 5, people[0])
    # when / then: no second application of the same version
    with pytest.raises(CaseConflict, match="already passed a quality-case review"):
        apply(people[1], case)
    # an accepted revision later, with a new contributor
    newcomer = csr()
    case.refresh_from_db()
    revision = case_revision_propose(
        proposer=newcomer,
        case_id=case.pk,
        base_version=case.version,
        reason="再补充",
        title="停机投诉（第三版）",
        category_id=case.category_id,
        background=case.background,
        tree=sample_tree(),
    )
    approve_case(revision, 8)
    second = apply(newcomer, case)
    assert second.payload["contributors"][-1] == newcomer.pk


def test_a_revision_accepted_while_the_application_is_open_makes_it_stale():
    case, people, _, _ = contributed_case()
    proposal = apply(people[0], case)
    revision = case_revision_propose(
        proposer=csr(),
        case_id=case.pk,
        base_version=case.version,
        reason="再补充",
        title="新标题",
        category_id=case.category_id,
        background=case.background,
        tree=sample_tree(),
    )
    approve_case(revision, 8)
    proposal.refresh_from_db()
    assert proposal.status == "stale"
    # the applicant applies again on the new version
    assert apply(people[0], case).base_version == case.version + 1


def test_a_case_in_the_history_library_cannot_apply():
    case, people, _, _ = contributed_case()
    Case.objects.filter(pk=case.pk).update(status=Case.Status.HISTORY)
    with pytest.raises(Case.DoesNotExist):
        apply(people[0], case)


def test_a_rejected_application_pays_reviewers_only():
    case, people, _, _ = contributed_case()
    proposal = apply(people[0], case)
    for _ in range(2):
        vote_quality(proposal, committee_member(), None, None, decision="reject")
    proposal.refresh_from_db()
    assert proposal.status == "rejected" and quality_rows(proposal) == []


def test_a_demo_or_admin_case_without_contributors_cannot_apply():
    case = CaseFactory()
    with pytest.raises(CasePermissionDenied):
        apply(csr(), case)
