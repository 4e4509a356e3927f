"""Review experts 评审专家: where a category has enough experts, only they decide its proposals."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.services.proposals import case_new_propose
from casebase.tests.factories import category as case_category
from casebase.tests.factories import sample_tree
from knowledgebase.services import kb_entry_propose, kb_revision_propose
from knowledgebase.tests.factories import CategoryFactory, EntryFactory
from review import services
from review.models import (
    CommitteeMembership,
    Proposal,
    ReviewEvent,
    ReviewExpertise,
    ReviewSettings,
)
from review.selectors import can_vote, expert_panel, review_queue
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def make_experts(category, n, *, by):
    experts = [committee_member() for _ in range(n)]
    for expert in experts:
        services.expertise_assign(member=expert, category=category, assigned_by=by)
    return experts


def revision(entry, proposer=None, *, category_id=None):
    proposer = proposer or UserFactory(roles=["CSR"])
    return kb_revision_propose(
        proposer=proposer,
        entry_id=entry.pk,
        base_version=entry.version,
        title=entry.title,
        body=entry.body + "（已修订）",
        keywords=entry.keywords,
        category_id=category_id or entry.category_id,
        reason="更清楚",
    )


def approve(proposal, member):
    return services.proposal_vote(
        proposal_id=proposal.pk,
        reviewer=member,
        decision="approve",
        comment="ok",
        extra={"points": 3},
    )


def status_of(proposal):
    proposal.refresh_from_db()
    return proposal.status


def test_non_expert_member_cannot_vote_on_a_proposal_whose_category_has_enough_experts(
    training_manager,
):
    # given: 3 experts of the entry's category (approvals required: 3)
    entry = EntryFactory()
    experts = make_experts(entry.category, 3, by=training_manager)
    proposal = revision(entry)
    outsider = committee_member()
    # when / then
    with pytest.raises(services.ReviewPermissionDenied) as refused:
        approve(proposal, outsider)
    assert refused.value.code == "not_expert"
    assert f"“{entry.category.name}”" in refused.value.message
    assert not proposal.votes.exists()
    assert not can_vote(proposal, outsider)
    # when: the experts decide
    for expert in experts:
        assert can_vote(proposal, expert)
        approve(proposal, expert)
    # then
    assert status_of(proposal) == Proposal.Status.APPLIED


def test_non_expert_vote_through_the_api_is_403_with_a_clear_message(api, training_manager):
    # given
    entry = EntryFactory()
    make_experts(entry.category, 3, by=training_manager)
    proposal = revision(entry)
    outsider = committee_member()
    api.force_authenticate(outsider)
    # when
    response = api.post(
        reverse("api-review-votes", args=[proposal.pk]),
        {"decision": "approve", "extra": {"points": 3}},
        format="json",
        **EN,
    )
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "not_expert"
    assert response.json()["detail"] == (
        f"Only the review experts of “{entry.category.name}” decide this proposal, "
        "and you are not one of them: it is not in your categories."
    )
    assert not proposal.votes.exists()


def test_non_expert_vote_through_the_web_page_is_403_with_the_reason_and_no_vote_form(
    client, training_manager
):
    # given
    entry = EntryFactory()
    make_experts(entry.category, 3, by=training_manager)
    proposal = revision(entry)
    outsider = committee_member()
    client.force_login(outsider)
    # when
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk]), **EN)
    response = client.post(
        reverse("review:proposal_vote", args=[proposal.pk]),
        {"decision": "approve", "comment": "ok", "points": 3},
        **EN,
    )
    # then
    assert page.status_code == 200 and not page.context["can_vote"] and page.context["not_expert"]
    assert 'id="not-expert"' in page.content.decode()
    assert response.status_code == 403
    assert "you are not one of them" in response.content.decode()
    assert not proposal.votes.exists()


def test_any_member_decides_when_the_category_has_fewer_experts_than_approvals_required(
    training_manager,
):
    # given: 2 experts, 3 approvals required
    entry = EntryFactory()
    make_experts(entry.category, 2, by=training_manager)
    proposal = revision(entry)
    # when
    approve(proposal, committee_member())
    # then
    assert expert_panel(proposal) is None and proposal.votes.count() == 1


def test_the_threshold_follows_review_settings(training_manager):
    # given: 2 experts and 2 approvals required
    ReviewSettings.objects.filter(pk=1).update(approvals_required=2)
    entry = EntryFactory()
    make_experts(entry.category, 2, by=training_manager)
    proposal = revision(entry)
    # then
    with pytest.raises(services.ReviewPermissionDenied):
        approve(proposal, committee_member())


def test_an_expert_proposer_does_not_count_towards_enough_experts(training_manager):
    # given: 3 experts, one of them proposes: only 2 may vote, fewer than the 3 approvals needed
    entry = EntryFactory()
    experts = make_experts(entry.category, 3, by=training_manager)
    proposal = revision(entry, proposer=experts[0])
    # when: any member may vote, or the proposal could never be decided
    approve(proposal, committee_member())
    # then
    assert proposal.votes.count() == 1


def test_recused_experts_do_not_count_towards_enough_experts(training_manager):
    # given: a new case naming an expert as co-author (recused): 2 experts left
    root = case_category(code="emotion-r")
    experts = make_experts(root, 3, by=training_manager)
    proposal = case_new_propose(
        proposer=UserFactory(roles=["CSR"]),
        kind="text",
        title="情绪安抚",
        category_id=root.pk,
        reason="典型",
        tree=sample_tree(),
        participants=[experts[0].staff_id],
    )
    # then
    assert expert_panel(proposal) is None


def test_expertise_of_a_kb_category_covers_its_subcategories(training_manager):
    # given: experts of the parent category, a proposal in a grandchild
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    grandchild = CategoryFactory(parent=child)
    experts = make_experts(parent, 3, by=training_manager)
    proposal = revision(EntryFactory(category=grandchild))
    # then
    with pytest.raises(services.ReviewPermissionDenied):
        approve(proposal, committee_member())
    assert expert_panel(proposal).members == {e.pk for e in experts}


def test_expertise_of_a_case_category_covers_its_subcategories(training_manager):
    # given: the case tree (materialised path): experts of "complaint", a case in its child
    root = case_category(code="complaint-x", name="投诉")
    child = case_category(code="complaint-x-escalate", name="投诉升级", parent=root)
    make_experts(root, 3, by=training_manager)
    proposal = case_new_propose(
        proposer=UserFactory(roles=["CSR"]),
        kind="text",
        title="升级投诉",
        category_id=child.pk,
        reason="典型",
        tree=sample_tree(),
    )
    # then
    with pytest.raises(services.ReviewPermissionDenied) as refused:
        services.proposal_vote(
            proposal_id=proposal.pk, reviewer=committee_member(), decision="reject", comment="不好"
        )
    assert "投诉升级" in refused.value.message


def test_expertise_of_a_subcategory_does_not_cover_its_parent(training_manager):
    # given
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    make_experts(child, 3, by=training_manager)
    proposal = revision(EntryFactory(category=parent))
    # then: nobody decides the parent's proposals alone
    approve(proposal, committee_member())
    assert proposal.votes.count() == 1


def test_a_revision_moving_an_entry_elsewhere_is_decided_by_the_experts_of_its_current_category(
    training_manager,
):
    # given: an entry in a category with 3 experts; the revision moves it to a category without any
    guarded = CategoryFactory()
    unguarded = CategoryFactory()
    make_experts(guarded, 3, by=training_manager)
    proposal = revision(EntryFactory(category=guarded), category_id=unguarded.pk)
    # then: moving out does not escape the current experts
    with pytest.raises(services.ReviewPermissionDenied):
        approve(proposal, committee_member())


def test_a_new_entry_is_decided_by_the_experts_of_its_category(training_manager):
    category = CategoryFactory()
    make_experts(category, 3, by=training_manager)
    proposal = kb_entry_propose(
        proposer=UserFactory(roles=["CSR"]),
        title="新口径",
        body="内容",
        keywords="",
        category_id=category.pk,
        reason="缺少口径",
    )
    with pytest.raises(services.ReviewPermissionDenied):
        approve(proposal, committee_member())


def test_experts_whose_membership_ended_no_longer_count(training_manager, ops_manager):
    # given
    entry = EntryFactory()
    experts = make_experts(entry.category, 3, by=training_manager)
    proposal = revision(entry)
    # when: one expert leaves the committee
    services.committee_member_remove(
        membership_id=CommitteeMembership.objects.get(member=experts[0], active=True).pk,
        removed_by=ops_manager,
    )
    # then: 2 experts left, any member may vote
    approve(proposal, committee_member())


def test_when_every_expert_voted_without_deciding_the_rest_of_the_committee_finishes(
    training_manager,
):
    # given: 3 experts, 2 approve and 1 rejects (neither threshold reached)
    entry = EntryFactory()
    experts = make_experts(entry.category, 3, by=training_manager)
    proposal = revision(entry)
    approve(proposal, experts[0])
    services.proposal_vote(
        proposal_id=proposal.pk, reviewer=experts[1], decision="reject", comment="不清楚"
    )
    outsider = committee_member()
    with pytest.raises(services.ReviewPermissionDenied):
        approve(proposal, outsider)
    approve(proposal, experts[2])
    # when: every expert has voted
    approve(proposal, outsider)
    # then
    assert status_of(proposal) == Proposal.Status.APPLIED


# --- who assigns experts ----------------------------------------------------------------


def test_a_member_cannot_make_themselves_an_expert(training_manager):
    # given: a committee member who is also a training manager
    training_manager.groups.add(*committee_member().groups.all())
    CommitteeMembership.objects.create(
        member=training_manager, source=CommitteeMembership.Source.APPOINTED
    )
    # when / then
    with pytest.raises(services.ReviewPermissionDenied) as refused:
        services.expertise_assign(
            member=training_manager, category=CategoryFactory(), assigned_by=training_manager
        )
    assert refused.value.message == services.MSG_ASSIGN_SELF
    assert not ReviewExpertise.objects.exists()


@pytest.mark.parametrize("assigner", ["member", "ops_manager"])
def test_only_training_managers_assign_experts(assigner, ops_manager):
    # given
    member = committee_member()
    by = member if assigner == "member" else ops_manager
    # when / then
    with pytest.raises(services.ReviewPermissionDenied) as refused:
        services.expertise_assign(
            member=committee_member(), category=CategoryFactory(), assigned_by=by
        )
    assert refused.value.message == services.MSG_ASSIGN_EXPERTS


def test_a_member_cannot_assign_themselves_through_the_api_or_the_web_page(api, client):
    # given
    member = committee_member()
    category = CategoryFactory()
    api.force_authenticate(member)
    client.force_login(member)
    # when
    by_api = api.post(
        reverse("api-review-experts"),
        {"staff_id": member.staff_id, "tree": "kb", "category_id": category.pk},
        format="json",
    )
    by_web = client.post(
        reverse("review:experts_assign"),
        {"staff_id": member.staff_id, "category": f"kb:{category.pk}"},
    )
    # then
    assert by_api.status_code == 403 and by_web.status_code == 403
    assert not ReviewExpertise.objects.exists()


def test_only_active_committee_members_can_be_experts(training_manager):
    with pytest.raises(services.ReviewError) as refused:
        services.expertise_assign(
            member=UserFactory(roles=["CSR"]),
            category=CategoryFactory(),
            assigned_by=training_manager,
        )
    assert refused.value.fields == {"member": [refused.value.message]}


def test_an_expert_is_assigned_once_per_category(training_manager):
    member, category = committee_member(), CategoryFactory()
    services.expertise_assign(member=member, category=category, assigned_by=training_manager)
    with pytest.raises(services.ReviewConflict):
        services.expertise_assign(member=member, category=category, assigned_by=training_manager)


def test_training_manager_assigns_and_removes_experts_on_the_web_page(client, training_manager):
    # given
    member, category = committee_member(), CategoryFactory(name="资费")
    client.force_login(training_manager)
    # when
    page = client.get(reverse("review:experts"), **EN)
    assigned = client.post(
        reverse("review:experts_assign"),
        {"staff_id": member.staff_id, "category": f"kb:{category.pk}"},
        **EN,
    )
    expertise = ReviewExpertise.objects.get()
    listed = client.get(reverse("review:experts"), **EN)
    removed = client.post(reverse("review:experts_remove", args=[expertise.pk]), **EN)
    # then
    assert page.status_code == 200 and "资费" in page.content.decode()
    assert (
        assigned.status_code == 302
        and expertise.member == member
        and expertise.kb_category == category
    )
    assert member.name in listed.content.decode()
    assert removed.status_code == 302 and not ReviewExpertise.objects.exists()
    assert list(
        ReviewEvent.objects.filter(kind__startswith="expert_")
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == ["expert_assigned", "expert_removed"]


def test_experts_page_refuses_bad_input_with_a_form_error(client, training_manager):
    client.force_login(training_manager)
    response = client.post(
        reverse("review:experts_assign"), {"staff_id": "NOBODY", "category": "kb:999999"}, **EN
    )
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"staff_id", "category"}


def test_experts_pages_are_for_training_managers(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("review:experts")).status_code == 403
    assert client.post(reverse("review:experts_remove", args=[1])).status_code == 403


def test_experts_api_lists_assigns_and_removes(api, training_manager, csr):
    # given
    member = committee_member()
    root = case_category(code="emotion-api", name="情绪安抚")
    api.force_authenticate(training_manager)
    # when
    created = api.post(
        reverse("api-review-experts"),
        {"staff_id": member.staff_id, "tree": "case", "category_id": root.pk},
        format="json",
    )
    listed = api.get(reverse("api-review-experts"))
    unknown = api.post(
        reverse("api-review-experts"),
        {"staff_id": member.staff_id, "tree": "kb", "category_id": 999999},
        format="json",
    )
    missing = api.delete(reverse("api-review-expert", args=[999999]))
    not_allowed = api.put(reverse("api-review-expert", args=[created.json()["id"]]), {})
    deleted = api.delete(reverse("api-review-expert", args=[created.json()["id"]]))
    api.force_authenticate(csr)
    forbidden = api.get(reverse("api-review-experts"))
    # then
    assert created.status_code == 201 and created.json()["tree"] == "case"
    assert created.json()["category_name"] == "情绪安抚"
    assert listed.status_code == 200 and [row["member"] for row in listed.json()] == [
        member.staff_id
    ]
    assert unknown.status_code == 400 and "category_id" in unknown.json()["fields"]
    assert (
        missing.status_code == 404 and not_allowed.status_code == 405 and deleted.status_code == 204
    )
    assert forbidden.status_code == 403


def test_admin_assignment_goes_through_the_rules(client, training_manager):
    # given
    member, category = committee_member(), CategoryFactory()
    client.force_login(training_manager)
    url = reverse("admin:review_reviewexpertise_add")
    # when: assigning oneself is refused on the form; a member is assigned
    self_assigned = client.post(
        url, {"member": training_manager.pk, "kb_category": category.pk}, **EN
    )
    assigned = client.post(url, {"member": member.pk, "kb_category": category.pk}, **EN)
    # then
    assert self_assigned.status_code == 200 and "You cannot make yourself a review expert" in (
        self_assigned.content.decode()
    )
    assert assigned.status_code == 302
    assert ReviewExpertise.objects.get().assigned_by == training_manager
    assert ReviewEvent.objects.filter(kind="expert_assigned").count() == 1


# --- the queue ----------------------------------------------------------------------------


def test_queue_shows_the_members_categories_first_and_hides_other_experts_proposals(
    training_manager,
):
    # given: an ungated proposal (oldest), one of the member's categories, one of other experts'
    member = committee_member()
    anyone = revision(EntryFactory())
    mine_category, theirs_category = CategoryFactory(), CategoryFactory()
    make_experts(mine_category, 2, by=training_manager)
    services.expertise_assign(member=member, category=mine_category, assigned_by=training_manager)
    make_experts(theirs_category, 3, by=training_manager)
    mine = revision(EntryFactory(category=mine_category))
    theirs = revision(EntryFactory(category=theirs_category))
    # when
    queue = review_queue(reviewer=member)
    # then
    assert [p.pk for p in queue] == [mine.pk, anyone.pk]
    assert [p.yours for p in queue] == [True, False]
    assert theirs not in queue


def test_queue_page_queries_do_not_grow_with_the_queue(
    client, training_manager, django_assert_max_num_queries
):
    # given
    member = committee_member()
    category = CategoryFactory()
    make_experts(category, 3, by=training_manager)
    services.expertise_assign(member=member, category=category, assigned_by=training_manager)
    client.force_login(member)
    revision(EntryFactory(category=category))
    revision(EntryFactory())
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("review:queue"))
    for _ in range(4):
        revision(EntryFactory(category=category))
        revision(EntryFactory())
    # when
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("review:queue"))
    # then
    assert len(response.context["rows"]) == 10
