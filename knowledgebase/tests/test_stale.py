"""Knowledge that went stale: an entry change flags the cases citing it and the query tasks
it answers, for the review experts of their category; the knowledge-work queue and API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseCitation
from casebase.services.maintenance import case_citations_set
from casebase.tests.factories import CaseFactory, category, grant_maintain
from config.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from knowledgebase import services
from knowledgebase.models import StaleFlag
from knowledgebase.selectors import flag_diffs, may_resolve_flag, stale_flags_for
from knowledgebase.tests.factories import CategoryFactory, EntryFactory, QueryTaskFactory
from knowledgebase.tests.test_proposals import approve_by_three, propose
from review.models import ReviewExpertise
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db


def revise(entry, author, **changes):
    entry.refresh_from_db()
    data = {
        "title": entry.title,
        "body": entry.body,
        "keywords": entry.keywords,
        "category_id": entry.category_id,
        **changes,
    }
    return services.entry_revise(
        author=author, entry_id=entry.pk, base_version=entry.version, reason="政策调整", **data
    )


@pytest.fixture
def world(db):
    """Entry A cited by case 1 and answering query task 1; entry B cited by case 2; an
    expert of case 1's category, an expert of A's KB category, a reviewer expert of nothing."""
    kb_fees = CategoryFactory(code="fees", name="资费")
    a = EntryFactory(category=kb_fees, title="套餐变更", body="下月生效。")
    b = EntryFactory(title="宽带报修", body="24小时内上门。")
    emotion, billing = category("emotion", "情绪安抚"), category("billing", "账单争议")
    case1 = CaseFactory(category=billing, title="账单投诉", level=2, split="training")
    case2 = CaseFactory(category=emotion, title="情绪激动", level=2, split="training")
    CaseCitation.objects.create(case=case1, entry=a)
    CaseCitation.objects.create(case=case2, entry=b)
    task = QueryTaskFactory(answer=a)
    case_expert, kb_expert, outsider = committee_member(), committee_member(), committee_member()
    ReviewExpertise.objects.create(member=case_expert, case_category=billing)
    ReviewExpertise.objects.create(member=kb_expert, kb_category=kb_fees)
    return type(
        "World",
        (),
        dict(
            a=a,
            b=b,
            case1=case1,
            case2=case2,
            task=task,
            case_expert=case_expert,
            kb_expert=kb_expert,
            outsider=outsider,
            billing=billing,
        ),
    )


def open_items():
    return {
        (f.case_id, f.query_task_id) for f in StaleFlag.objects.filter(status=StaleFlag.Status.OPEN)
    }


def test_a_direct_change_flags_the_citing_case_and_the_task_it_answers(world, ops_manager):
    # when
    revise(world.a, ops_manager, body="次月1日生效。")
    # then
    assert open_items() == {(world.case1.pk, None), (None, world.task.pk)}


def test_a_change_of_an_unrelated_entry_flags_nothing_citing_another(world, ops_manager):
    revise(EntryFactory(), ops_manager, body="无关的修改。")
    assert open_items() == set()
    revise(world.b, ops_manager, body="48小时内上门。")
    assert open_items() == {(world.case2.pk, None)}


def test_a_committee_applied_revision_flags_too(world, csr):
    approve_by_three(propose(world.a, csr, body="下月1日零点生效。"))
    world.a.refresh_from_db()
    flag = StaleFlag.objects.get(case=world.case1)
    assert flag.change.via == "committee" and flag.change.version == world.a.version == 2


def test_retiring_an_entry_flags_its_citing_items(world, ops_manager):
    services.entry_retire(
        author=ops_manager, entry_id=world.a.pk, base_version=1, reason="业务下线"
    )
    assert (world.case1.pk, None) in open_items()


def test_a_case_in_the_history_library_is_not_flagged(world, ops_manager):
    Case.objects.filter(pk=world.case1.pk).update(status=Case.Status.HISTORY)
    revise(world.a, ops_manager, body="次月生效。")
    assert open_items() == {(None, world.task.pk)}


def test_a_second_change_keeps_one_open_flag_whose_diff_spans_both(world, ops_manager):
    revise(world.a, ops_manager, body="次月生效。")
    revise(world.a, ops_manager, body="次月1日生效。")
    flag = StaleFlag.objects.get(case=world.case1)
    assert (flag.base_version, flag.change.version) == (1, 3)
    diff = flag_diffs([flag])[flag.pk]
    assert "<del>下</del>" in diff and "<ins>次</ins>" in diff and "<ins>1日</ins>" in diff


def test_a_resolved_item_is_flagged_again_by_a_later_change(world, ops_manager):
    revise(world.a, ops_manager, body="次月生效。")
    flag = StaleFlag.objects.get(case=world.case1)
    services.stale_flag_resolve(user=world.case_expert, flag_id=flag.pk, resolution="reviewed")
    revise(world.a, ops_manager, body="次月1日生效。")
    new = StaleFlag.objects.get(case=world.case1, status="open")
    assert new.pk != flag.pk and new.base_version == 2


def test_each_expert_sees_the_items_of_their_categories(world, ops_manager):
    revise(world.a, ops_manager, body="次月生效。")
    revise(world.b, ops_manager, body="48小时内上门。")
    assert {f.case_id for f in stale_flags_for(world.case_expert)} == {world.case1.pk}
    assert {f.query_task_id for f in stale_flags_for(world.kb_expert)} == {world.task.pk}
    assert list(stale_flags_for(world.outsider)) == []
    assert stale_flags_for(ops_manager).count() == 3


def test_expertise_covers_subcategories(world, ops_manager):
    sub = category("billing-late", "逾期账单", parent=world.billing)
    case = CaseFactory(category=sub, level=2, split="training")
    CaseCitation.objects.create(case=case, entry=world.a)
    revise(world.a, ops_manager, body="次月生效。")
    assert case.pk in {f.case_id for f in stale_flags_for(world.case_expert)}


def test_only_experts_and_operations_managers_resolve(world, ops_manager, csr):
    revise(world.a, ops_manager, body="次月生效。")
    flag = StaleFlag.objects.get(case=world.case1)
    assert not may_resolve_flag(world.kb_expert, flag) and not may_resolve_flag(csr, flag)
    with pytest.raises(PermissionDeniedError):
        services.stale_flag_resolve(user=world.outsider, flag_id=flag.pk, resolution="reviewed")
    resolved = services.stale_flag_resolve(
        user=world.case_expert, flag_id=flag.pk, resolution="reviewed"
    )
    assert resolved.status == "reviewed" and resolved.resolved_by == world.case_expert
    with pytest.raises(ConflictError):
        services.stale_flag_resolve(user=ops_manager, flag_id=flag.pk, resolution="reviewed")


def test_a_query_task_cannot_get_a_case_revision(world, ops_manager):
    revise(world.a, ops_manager, body="次月生效。")
    flag = StaleFlag.objects.get(query_task=world.task)
    with pytest.raises(ValidationFailedError):
        services.stale_flag_resolve(user=ops_manager, flag_id=flag.pk, resolution="revision")


# --- citations ------------------------------------------------------------------------------


def test_maintainer_sets_the_cited_entries(world):
    maintainer = grant_maintain(UserFactory(roles=["CSR"]))
    other = EntryFactory()
    assert case_citations_set(
        user=maintainer, case_id=world.case1.pk, entry_ids=[other.pk, world.b.pk]
    ) == sorted([other.pk, world.b.pk])
    assert set(
        CaseCitation.objects.filter(case=world.case1).values_list("entry_id", flat=True)
    ) == {other.pk, world.b.pk}
    with pytest.raises(ValidationFailedError) as error:
        case_citations_set(user=maintainer, case_id=world.case1.pk, entry_ids=[999999])
    assert error.value.field == "entries"


def test_citations_on_the_case_edit_page(client, world, csr):
    maintainer = grant_maintain(UserFactory(roles=["CSR"]))
    client.force_login(maintainer)
    page = client.get(reverse("casebase:maintain_edit", args=[world.case1.pk]))
    assert page.status_code == 200 and b"citations-form" in page.content
    url = reverse("casebase:case_citations", args=[world.case1.pk])
    assert client.post(url, {"entries": f"{world.b.pk}"}).status_code == 302
    assert list(
        CaseCitation.objects.filter(case=world.case1).values_list("entry_id", flat=True)
    ) == [world.b.pk]
    client.post(url, {"entries": "abc"})
    assert list(
        CaseCitation.objects.filter(case=world.case1).values_list("entry_id", flat=True)
    ) == [world.b.pk]
    client.force_login(csr)
    assert client.post(url, {"entries": ""}).status_code == 403


# --- the queue page and API -------------------------------------------------------------------


def test_knowledge_work_page(client, world, ops_manager, csr):
    revise(world.a, ops_manager, body="次月生效。")
    client.force_login(world.case_expert)
    page = client.get(reverse("knowledgebase:knowledge_work"))
    assert page.status_code == 200
    assert "账单投诉" in page.content.decode() and "<ins>" in page.content.decode()
    assert "misses" in page.content.decode()
    client.force_login(csr)
    assert client.get(reverse("knowledgebase:knowledge_work")).status_code == 403


def test_resolving_from_the_page(client, world, ops_manager):
    revise(world.a, ops_manager, body="次月生效。")
    flag = StaleFlag.objects.get(case=world.case1)
    client.force_login(world.outsider)
    client.post(reverse("knowledgebase:stale_resolve", args=[flag.pk]), {"resolution": "reviewed"})
    flag.refresh_from_db()
    assert flag.status == "open"
    client.force_login(world.case_expert)
    response = client.post(
        reverse("knowledgebase:stale_resolve", args=[flag.pk]), {"resolution": "revision"}
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "casebase:revise", args=[world.case1.pk]
    )
    flag.refresh_from_db()
    assert flag.status == "revision"
    assert (
        client.post(
            reverse("knowledgebase:stale_resolve", args=[99999]), {"resolution": "reviewed"}
        ).status_code
        == 404
    )
    assert client.get(reverse("knowledgebase:stale_resolve", args=[flag.pk])).status_code == 405


def test_a_case_maintainer_answering_with_a_revision_lands_on_the_case_edit_page(
    client, world, ops_manager
):
    # the page is casebase's choice (knowledgebase.citations.revision_page)
    revise(world.a, ops_manager, body="次月生效。")
    flag = StaleFlag.objects.get(case=world.case1)
    grant_maintain(world.case_expert)
    client.force_login(world.case_expert)
    response = client.post(
        reverse("knowledgebase:stale_resolve", args=[flag.pk]), {"resolution": "revision"}
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "casebase:maintain_edit", args=[world.case1.pk]
    )


def test_queue_queries_do_not_grow_with_the_items(client, world, ops_manager):
    revise(world.a, ops_manager, body="次月生效。")
    client.force_login(ops_manager)
    client.get(reverse("knowledgebase:knowledge_work"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("knowledgebase:knowledge_work"))
    for _ in range(5):
        CaseCitation.objects.create(case=CaseFactory(level=1, split="training"), entry=world.b)
    revise(world.b, ops_manager, body="48小时内上门。")
    assert StaleFlag.objects.filter(status="open").count() == 8
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("knowledgebase:knowledge_work"))
    assert len(many) == len(few)


def test_stale_api(api, world, ops_manager, csr):
    revise(world.a, ops_manager, body="次月生效。")
    api.force_authenticate(world.kb_expert)
    body = api.get(reverse("api-kb-stale")).json()
    assert body["count"] == 1
    [item] = body["results"]
    assert item["item"] == "query_task" and item["base_version"] == 1 and item["version"] == 2
    assert "<ins>" in item["diff"]
    url = reverse("api-kb-stale-resolve", args=[item["id"]])
    assert api.post(url, {"resolution": "nonsense"}, format="json").status_code == 400
    assert api.post(url, {"resolution": "revision"}, format="json").status_code == 400
    assert api.get(url).status_code == 405
    assert api.post(url, {"resolution": "reviewed"}, format="json").json()["status"] == "reviewed"
    assert api.post(url, {"resolution": "reviewed"}, format="json").status_code == 409
    assert (
        api.post(
            reverse("api-kb-stale-resolve", args=[99999]), {"resolution": "reviewed"}, format="json"
        ).status_code
        == 404
    )
    case_flag = StaleFlag.objects.get(case=world.case1)
    assert (
        api.post(
            reverse("api-kb-stale-resolve", args=[case_flag.pk]),
            {"resolution": "reviewed"},
            format="json",
        ).status_code
        == 403
    )
    api.force_authenticate(csr)
    assert api.get(reverse("api-kb-stale")).status_code == 403


def test_citations_are_kept_in_admin_by_case_maintainers(client, world, csr):
    maintainer = grant_maintain(UserFactory(roles=["CSR"], is_staff=True))
    client.force_login(maintainer)
    url = reverse("admin:casebase_casecitation_add")
    assert client.get(url).status_code == 200
    response = client.post(url, {"case": world.case2.pk, "entry": world.a.pk})
    assert response.status_code == 302
    assert CaseCitation.objects.filter(case=world.case2, entry=world.a).exists()
    client.force_login(UserFactory(roles=["CSR"], is_staff=True))
    assert client.get(url).status_code == 403


def test_a_test_case_is_revised_by_a_maintainer_not_through_a_proposal(world, ops_manager):
    exam_case = CaseFactory(category=world.billing, level=2, split="test")
    CaseCitation.objects.create(case=exam_case, entry=world.a)
    revise(world.a, ops_manager, body="次月生效。")
    flag = StaleFlag.objects.get(case=exam_case)
    with pytest.raises(ValidationFailedError):
        services.stale_flag_resolve(user=world.case_expert, flag_id=flag.pk, resolution="revision")
    grant_maintain(world.case_expert)
    expert = UserFactory._meta.model.objects.get(pk=world.case_expert.pk)
    assert (
        services.stale_flag_resolve(user=expert, flag_id=flag.pk, resolution="revision").status
        == "revision"
    )
