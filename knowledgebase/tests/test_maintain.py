"""Business managers maintain the KB directly: operations managers (maintain_entries, granted
by migration) add, revise, retire and restore entries in the web UI, the API and admin, all
through the same services as committee-applied changes: a new version with reason, author
and diff in the history, and the entry's open proposals marked outdated."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.navigation import navigation_for
from accounts.tests.factories import UserFactory
from config.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from knowledgebase import search, services
from knowledgebase.models import Entry, EntryChange
from knowledgebase.tests.factories import CategoryFactory, EntryFactory, QueryTaskFactory
from review.models import Proposal, ReviewEvent
from review.services import OutdatedBaseVersion, proposal_vote
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    return EntryFactory(title="话费充值渠道", body="充值一般实时到账。", keywords="充值 交话费")


def revise(
    entry,
    author,
    *,
    body,
    reason="更正到账时间",
    base_version=None,
    via=EntryChange.Via.WEB,
    **changes,
):
    return services.entry_revise(
        author=author,
        entry_id=entry.pk,
        base_version=entry.version if base_version is None else base_version,
        title=changes.get("title", entry.title),
        body=body,
        keywords=changes.get("keywords", entry.keywords),
        category_id=changes.get("category_id", entry.category_id),
        reason=reason,
        via=via,
    )


def hit_ids(query):
    return [hit.entry_id for hit in search.search(query)]


# --- permission ------------------------------------------------------------------------------


def test_operations_managers_group_holds_maintain_entries_from_the_migration():
    group = Group.objects.get(name="Operations manager")
    assert group.permissions.filter(
        content_type__app_label="knowledgebase", codename="maintain_entries"
    ).exists()
    assert (
        not Group.objects.get(name="CSR").permissions.filter(codename="maintain_entries").exists()
    )


def test_ops_manager_may_maintain_and_a_csr_or_reviewer_may_not(ops_manager, csr, reviewer):
    assert services.can_maintain(ops_manager)
    assert not services.can_maintain(csr)
    assert not services.can_maintain(reviewer)


# --- services --------------------------------------------------------------------------------


def test_direct_revision_is_a_new_version_with_reason_author_and_history(ops_manager, entry):
    # when
    write = revise(
        entry, ops_manager, body="充值一般实时到账，到账后短信通知。", reason="补充短信通知"
    )
    # then
    entry.refresh_from_db()
    assert entry.version == 2 and entry.body == "充值一般实时到账，到账后短信通知。"
    change = EntryChange.objects.get(entry=entry, version=2)
    assert (change.kind, change.via, change.author, change.reason, change.proposal) == (
        EntryChange.Kind.REVISED,
        EntryChange.Via.WEB,
        ops_manager,
        "补充短信通知",
        None,
    )
    assert write.change == change
    record = entry.history.filter(version=2).first()
    assert record.history_user == ops_manager
    assert hit_ids("短信通知") == [entry.pk]  # re-indexed at once


def test_direct_revision_marks_open_proposals_outdated_as_a_committee_change_does(ops_manager):
    # given: two open proposals on one entry
    first = RevisionProposalFactory()
    entry = first.target
    second = RevisionProposalFactory(target=entry)
    # when
    write = revise(entry, ops_manager, body=entry.body + "（运营更正）")
    # then: both stale with the engine's STALE event naming the new version
    assert sorted(write.outdated_proposals) == sorted([first.pk, second.pk])
    for proposal in (first, second):
        proposal.refresh_from_db()
        assert proposal.status == Proposal.Status.STALE
        event = ReviewEvent.objects.get(proposal=proposal, kind=ReviewEvent.Kind.STALE)
        assert event.data == {"base_version": 1, "current_version": 2}


def test_csr_cannot_change_entries_directly_through_the_services(csr, entry):
    with pytest.raises(PermissionDeniedError):
        revise(entry, csr, body="CSR 自己改的口径")
    with pytest.raises(PermissionDeniedError):
        services.entry_retire(
            author=csr, entry_id=entry.pk, base_version=entry.version, reason="不要了"
        )
    with pytest.raises(PermissionDeniedError):
        services.entry_add(
            author=csr,
            title="新口径",
            body="内容",
            keywords="",
            category_id=entry.category_id,
            reason="新增",
        )
    entry.refresh_from_db()
    assert entry.version == 1 and not EntryChange.objects.exists()


def test_a_revision_on_an_outdated_version_is_refused_so_nobody_overwrites_a_change_unseen(
    ops_manager, entry
):
    # given: a colleague saved version 2 meanwhile
    revise(entry, ops_manager, body="第二版")
    colleague = UserFactory(roles=["Operations manager"])
    # when / then: a form opened on version 1 cannot overwrite it
    with pytest.raises(OutdatedBaseVersion):
        revise(entry, colleague, body="基于第一版的修改", base_version=1)
    entry.refresh_from_db()
    assert entry.body == "第二版" and entry.version == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_direct_change_needs_a_reason(ops_manager, entry, reason):
    with pytest.raises(ValidationFailedError) as exc:
        revise(entry, ops_manager, body="新内容", reason=reason)
    assert exc.value.fields == {"reason": ["Give a reason for the change."]}


def test_a_direct_change_that_changes_nothing_is_refused(ops_manager, entry):
    with pytest.raises(ValidationFailedError, match="Nothing was changed."):
        revise(entry, ops_manager, body=entry.body)
    assert Entry.objects.get(pk=entry.pk).version == 1


def test_maintainer_adds_an_entry_that_search_finds_at_once(ops_manager):
    category = CategoryFactory()
    write = services.entry_add(
        author=ops_manager,
        title="eSIM一号双终端",
        body="手表共用号码。",
        keywords="eSIM",
        category_id=category.pk,
        reason="新业务上线",
    )
    assert write.entry.version == 1
    assert (write.change.kind, write.change.author, write.change.reason) == (
        EntryChange.Kind.CREATED,
        ops_manager,
        "新业务上线",
    )
    assert hit_ids("一号双终端") == [write.entry.pk]


def test_retired_entry_is_hidden_from_search_and_keeps_its_history(ops_manager, entry):
    revise(entry, ops_manager, body="充值一般实时到账，最长24小时。")
    assert hit_ids("充值") == [entry.pk]
    # when
    write = services.entry_retire(
        author=ops_manager, entry_id=entry.pk, base_version=2, reason="渠道下线"
    )
    # then
    entry.refresh_from_db()
    assert entry.is_retired and entry.version == 3 and write.change.kind == EntryChange.Kind.RETIRED
    assert hit_ids("充值") == []
    assert sorted(entry.history.values_list("version", flat=True).distinct()) == [1, 2, 3]
    assert list(entry.changes.order_by("version").values_list("kind", flat=True)) == [
        "revised",
        "retired",
    ]


def test_restoring_brings_a_retired_entry_back_into_search(ops_manager, entry):
    services.entry_retire(author=ops_manager, entry_id=entry.pk, base_version=1, reason="暂停")
    with pytest.raises(ConflictError):
        services.entry_retire(author=ops_manager, entry_id=entry.pk, base_version=2, reason="再次")
    services.entry_restore(author=ops_manager, entry_id=entry.pk, base_version=2, reason="恢复")
    assert hit_ids("充值") == [entry.pk]
    with pytest.raises(ConflictError):
        services.entry_restore(author=ops_manager, entry_id=entry.pk, base_version=3, reason="再次")


def test_retiring_deactivates_the_query_tasks_it_answers(ops_manager, entry):
    task = QueryTaskFactory(answer=entry)
    services.entry_retire(author=ops_manager, entry_id=entry.pk, base_version=1, reason="下线")
    task.refresh_from_db()
    assert task.active is False


def test_a_retired_entry_takes_no_new_proposals_and_no_direct_revision(ops_manager, csr, entry):
    services.entry_retire(author=ops_manager, entry_id=entry.pk, base_version=1, reason="下线")
    with pytest.raises(ConflictError):
        services.kb_revision_propose(
            proposer=csr,
            entry_id=entry.pk,
            base_version=2,
            title=entry.title,
            body="复活它",
            keywords="",
            category_id=entry.category_id,
            reason="想用",
        )
    with pytest.raises(ConflictError):
        revise(entry, ops_manager, body="改一改", base_version=2)


def test_the_committee_cannot_bring_back_a_retired_entry_by_approving_a_proposal(ops_manager):
    # given: a proposal on the retired entry's current version (written around the service)
    entry = EntryFactory(body="旧口径")
    services.entry_retire(author=ops_manager, entry_id=entry.pk, base_version=1, reason="下线")
    entry.refresh_from_db()
    proposal = RevisionProposalFactory(target=entry, base_version=entry.version)
    # when: three members approve
    for _n in range(3):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"points": 3},
        )
    # then: it goes stale, the entry is unchanged and still retired
    proposal.refresh_from_db()
    entry.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE
    assert entry.body == "旧口径" and entry.is_retired and entry.version == 2


def test_a_committee_applied_revision_writes_its_change_row_with_the_proposal(reviewer):
    proposal = RevisionProposalFactory()
    for _n in range(3):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"points": 3},
        )
    change = EntryChange.objects.get(entry_id=proposal.target_id, version=2)
    assert (change.via, change.proposal_id, change.author, change.reason) == (
        EntryChange.Via.COMMITTEE,
        proposal.pk,
        proposal.proposer,
        proposal.reason,
    )


# --- web pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name", ["knowledgebase:search", "knowledgebase:entry_detail", "knowledgebase:entry_diff"]
)
def test_operations_managers_can_use_the_kb_reading_pages(client, ops_manager, hr, entry, url_name):
    revise(entry, ops_manager, body="第二版")
    url = reverse(url_name, args=[] if url_name == "knowledgebase:search" else [entry.pk])
    client.force_login(ops_manager)
    assert client.get(url, {"q": "充值"} if "search" in url_name else {}).status_code == 200
    client.force_login(hr)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "url_name, needs_entry",
    [
        ("knowledgebase:maintain", False),
        ("knowledgebase:maintain_add", False),
        ("knowledgebase:maintain_edit", True),
        ("knowledgebase:maintain_retire", True),
        ("knowledgebase:maintain_restore", True),
    ],
)
def test_maintain_pages_are_open_to_maintainers_only(
    client, ops_manager, csr, reviewer, entry, url_name, needs_entry
):
    url = reverse(url_name, args=[entry.pk] if needs_entry else [])
    client.force_login(ops_manager)
    assert client.get(url).status_code == 200
    for user in (csr, reviewer):
        client.force_login(user)
        assert client.get(url).status_code == 403
        expected = 405 if url_name == "knowledgebase:maintain" else 403  # the list is read-only
        assert client.post(url, {"reason": "x", "base_version": 1}).status_code == expected
    if needs_entry:
        client.force_login(ops_manager)
        assert client.get(reverse(url_name, args=[999999])).status_code == 404
        assert client.put(url).status_code == 405


def test_csr_posting_the_edit_form_changes_nothing(client, csr, entry):
    client.force_login(csr)
    response = client.post(
        reverse("knowledgebase:maintain_edit", args=[entry.pk]),
        {
            "category": entry.category_id,
            "title": entry.title,
            "keywords": "",
            "body": "绕过委员会",
            "reason": "试试",
            "base_version": 1,
            "save": "1",
        },
    )
    assert response.status_code == 403
    assert Entry.objects.get(pk=entry.pk).body == "充值一般实时到账。"


def test_ops_manager_revises_in_the_web_ui_and_a_csr_finds_the_new_text(
    client, ops_manager, csr, entry
):
    # given: an open proposal on the entry
    proposal = RevisionProposalFactory(target=entry)
    client.force_login(ops_manager)
    form = {
        "category": entry.category_id,
        "title": entry.title,
        "keywords": entry.keywords,
        "body": "充值一般实时到账，到账后发送短信通知。",
        "reason": "补充短信通知",
        "base_version": 1,
    }
    # when: preview, then save
    preview = client.post(
        reverse("knowledgebase:maintain_edit", args=[entry.pk]), {**form, "preview": "1"}
    )
    assert preview.status_code == 200 and "<ins>" in preview.content.decode()
    assert Entry.objects.get(pk=entry.pk).version == 1
    response = client.post(
        reverse("knowledgebase:maintain_edit", args=[entry.pk]), {**form, "save": "1"}, follow=True
    )
    # then
    assert response.redirect_chain[-1][0] == reverse("knowledgebase:entry_detail", args=[entry.pk])
    page = response.content.decode()
    assert "Saved as version 2." in page and "marked outdated" in page
    assert "补充短信通知" in page and ops_manager.name in page and "Maintainer (web)" in page
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE
    client.force_login(csr)
    results = client.get(reverse("knowledgebase:search"), {"q": "短信通知"}).content.decode()
    assert "话费充值渠道" in results


def test_the_edit_form_opened_on_an_old_version_answers_400_with_the_reason(
    client, ops_manager, entry
):
    revise(entry, ops_manager, body="第二版")
    client.force_login(ops_manager)
    response = client.post(
        reverse("knowledgebase:maintain_edit", args=[entry.pk]),
        {
            "category": entry.category_id,
            "title": entry.title,
            "keywords": "",
            "body": "旧表单",
            "reason": "改",
            "base_version": 1,
            "save": "1",
        },
    )
    assert response.status_code == 400
    assert "it is now version 2" in response.content.decode()
    assert Entry.objects.get(pk=entry.pk).body == "第二版"


@pytest.mark.parametrize(
    "field, value", [("reason", ""), ("category", "999999"), ("base_version", "x"), ("title", "")]
)
def test_bad_input_on_the_edit_form_is_a_400_form_error(client, ops_manager, entry, field, value):
    client.force_login(ops_manager)
    data = {
        "category": entry.category_id,
        "title": entry.title,
        "keywords": "",
        "body": "新",
        "reason": "改",
        "base_version": 1,
        "save": "1",
        field: value,
    }
    response = client.post(reverse("knowledgebase:maintain_edit", args=[entry.pk]), data)
    assert response.status_code == 400
    assert Entry.objects.get(pk=entry.pk).version == 1


def test_retire_and_restore_in_the_web_ui(client, ops_manager, csr, entry):
    found = "话费<mark>充值</mark>渠道"
    client.force_login(csr)
    assert found in client.get(reverse("knowledgebase:search"), {"q": "充值"}).content.decode()
    client.force_login(ops_manager)
    response = client.post(
        reverse("knowledgebase:maintain_retire", args=[entry.pk]),
        {"reason": "渠道下线", "base_version": 1},
        follow=True,
    )
    assert "Retired on" in response.content.decode()
    client.force_login(csr)
    assert found not in client.get(reverse("knowledgebase:search"), {"q": "充值"}).content.decode()
    detail = client.get(reverse("knowledgebase:entry_detail", args=[entry.pk])).content.decode()
    assert "渠道下线" in detail and "Propose a revision" not in detail  # readable, history kept
    client.force_login(ops_manager)
    response = client.post(
        reverse("knowledgebase:maintain_restore", args=[entry.pk]),
        {"reason": "恢复", "base_version": 2},
    )
    assert response.status_code == 302, response.content.decode()
    client.force_login(csr)
    assert found in client.get(reverse("knowledgebase:search"), {"q": "充值"}).content.decode()


def test_maintain_list_shows_retired_entries_under_their_filter(client, ops_manager, entry):
    other = EntryFactory(title="国际漫游开通方式")
    services.entry_retire(author=ops_manager, entry_id=other.pk, base_version=1, reason="下线")
    client.force_login(ops_manager)
    current = client.get(reverse("knowledgebase:maintain")).content.decode()
    assert "话费充值渠道" in current and "国际漫游开通方式" not in current
    retired = client.get(reverse("knowledgebase:maintain"), {"status": "retired"}).content.decode()
    assert "国际漫游开通方式" in retired and "话费充值渠道" not in retired


def test_history_shows_direct_and_committee_changes_alike(client, ops_manager, csr):
    proposal = RevisionProposalFactory(reason="委员会通过的理由")
    for _n in range(3):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"points": 3},
        )
    entry = Entry.objects.get(pk=proposal.target_id)
    revise(entry, ops_manager, body=entry.body + "运营补充", reason="运营直接修改的理由")
    client.force_login(csr)
    page = client.get(reverse("knowledgebase:entry_detail", args=[entry.pk])).content.decode()
    assert (
        "委员会通过的理由" in page
        and "Review committee" in page
        and f"proposal #{proposal.pk}" in page
    )
    assert "运营直接修改的理由" in page and ops_manager.name in page and "Maintainer (web)" in page
    assert "?from=2&amp;to=3" in page and "?from=1&amp;to=2" in page
    diff = client.get(
        reverse("knowledgebase:entry_diff", args=[entry.pk]), {"from": 2, "to": 3}
    ).content.decode()
    assert "<ins>运营补充</ins>" in diff


def test_history_rows_store_codes_and_the_authors_words_not_sentences(ops_manager, entry):
    # given: a direct change and a committee-applied one
    revise(entry, ops_manager, body="第二版", reason="更正")
    proposal = RevisionProposalFactory(target=entry, base_version=2, reason="委员会理由")
    for _n in range(3):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"points": 3},
        )
    # then: what kind of change it was is a code (rendered in the reader's language by the
    # page), the reason is exactly what the author typed, with no English prefix
    rows = list(
        EntryChange.objects.filter(entry=entry)
        .order_by("version")
        .values_list("kind", "via", "reason")
    )
    assert rows == [("revised", "web", "更正"), ("revised", "committee", "委员会理由")]
    assert list(entry.history.order_by("version").values_list("history_change_reason", flat=True))[
        -2:
    ] == ["更正", "委员会理由"]


def test_entry_page_query_count_does_not_grow_with_the_history(
    client, ops_manager, entry, django_assert_max_num_queries
):
    client.force_login(ops_manager)
    url = reverse("knowledgebase:entry_detail", args=[entry.pk])
    revise(entry, ops_manager, body="第二版")
    client.get(url)
    with django_assert_max_num_queries(9) as few:
        client.get(url)
    for n in range(3, 9):
        entry.refresh_from_db()
        revise(entry, ops_manager, body=f"第{n}版")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# --- navigation -----------------------------------------------------------------------------


def test_the_maintain_page_is_in_the_operations_managers_navigation_only(ops_manager, csr):
    maintain = reverse("knowledgebase:maintain")
    assert maintain in [item["url"] for item in navigation_for(ops_manager)]
    assert maintain not in [item["url"] for item in navigation_for(csr)]


# --- API --------------------------------------------------------------------------------------


def test_api_maintainer_revises_retires_and_restores(api, ops_manager, entry):
    proposal = RevisionProposalFactory(target=entry)
    api.force_authenticate(ops_manager)
    response = api.post(
        reverse("api-kb-entry-revise", args=[entry.pk]),
        {
            "title": entry.title,
            "body": "接口修改的口径",
            "keywords": "",
            "category_id": entry.category_id,
            "reason": "接口更正",
            "base_version": 1,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["entry"]["version"] == 2 and body["entry"]["body"] == "接口修改的口径"
    assert body["change"]["via"] == "api" and body["change"]["author"] == ops_manager.staff_id
    assert body["outdated_proposals"] == [proposal.pk]
    response = api.post(
        reverse("api-kb-entry-retire", args=[entry.pk]),
        {"reason": "下线", "base_version": 2},
        format="json",
    )
    assert response.status_code == 200 and response.json()["entry"]["retired_at"]
    response = api.post(
        reverse("api-kb-entry-retire", args=[entry.pk]),
        {"reason": "再下线", "base_version": 3},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "entry_retired"
    response = api.post(
        reverse("api-kb-entry-restore", args=[entry.pk]),
        {"reason": "恢复", "base_version": 3},
        format="json",
    )
    assert response.status_code == 200 and response.json()["entry"]["retired_at"] is None
    history = api.get(reverse("api-kb-entry-history", args=[entry.pk])).json()
    assert [(row["version"], row["kind"]) for row in history["results"]] == [
        (4, "restored"),
        (3, "retired"),
        (2, "revised"),
    ]


def test_api_maintainer_adds_an_entry(api, ops_manager):
    category = CategoryFactory()
    api.force_authenticate(ops_manager)
    response = api.post(
        reverse("api-kb-entry-create"),
        {
            "title": "5G消息介绍",
            "body": "富媒体消息。",
            "category_id": category.pk,
            "reason": "新增",
        },
        format="json",
    )
    assert response.status_code == 201
    assert (
        response.json()["entry"]["version"] == 1 and response.json()["change"]["kind"] == "created"
    )


def test_api_direct_changes_are_forbidden_to_csrs_and_reviewers(api, csr, reviewer, entry):
    for user in (csr, reviewer):
        api.force_authenticate(user)
        assert (
            api.post(
                reverse("api-kb-entry-revise", args=[entry.pk]),
                {
                    "title": entry.title,
                    "body": "绕过",
                    "category_id": entry.category_id,
                    "reason": "x",
                    "base_version": 1,
                },
                format="json",
            ).status_code
            == 403
        )
        assert (
            api.post(
                reverse("api-kb-entry-retire", args=[entry.pk]),
                {"reason": "x", "base_version": 1},
                format="json",
            ).status_code
            == 403
        )
        assert (
            api.post(
                reverse("api-kb-entry-create"),
                {"title": "t", "body": "b", "category_id": entry.category_id, "reason": "x"},
                format="json",
            ).status_code
            == 403
        )
    assert Entry.objects.get(pk=entry.pk).version == 1


def test_api_errors_of_direct_changes(api, ops_manager, entry):
    api.force_authenticate(ops_manager)
    url = reverse("api-kb-entry-revise", args=[entry.pk])
    data = {
        "title": entry.title,
        "body": "新",
        "category_id": entry.category_id,
        "reason": "改",
        "base_version": 1,
    }
    assert api.get(url).status_code == 405
    assert (
        api.post(reverse("api-kb-entry-revise", args=[999999]), data, format="json").status_code
        == 404
    )
    bad = api.post(url, {**data, "reason": ""}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()["fields"]
    bad = api.post(url, {**data, "category_id": 999999}, format="json")
    assert bad.status_code == 400 and bad.json()["fields"] == {
        "category_id": ["Choose an existing category."]
    }
    assert api.post(url, {**data, "base_version": 2**40}, format="json").status_code == 400
    assert api.post(url, data, format="json").status_code == 200
    stale = api.post(url, {**data, "body": "又改"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "outdated_base_version"


def test_api_reading_is_open_to_operations_managers(api, ops_manager, hr, entry):
    api.force_authenticate(ops_manager)
    assert api.get(reverse("api-kb-search"), {"q": "充值"}).status_code == 200
    assert api.get(reverse("api-kb-entry", args=[entry.pk])).status_code == 200
    assert api.get(reverse("api-kb-entry-history", args=[entry.pk])).status_code == 200
    assert api.get(reverse("api-kb-entry-history", args=[999999])).status_code == 404
    api.force_authenticate(hr)
    assert api.get(reverse("api-kb-entry-history", args=[entry.pk])).status_code == 403


def test_api_search_never_returns_a_retired_entry(api, ops_manager, csr, entry):
    services.entry_retire(author=ops_manager, entry_id=entry.pk, base_version=1, reason="下线")
    api.force_authenticate(csr)
    assert api.get(reverse("api-kb-search"), {"q": "充值"}).json()["results"] == []


# --- admin ------------------------------------------------------------------------------------


def admin_form(entry, **changes):
    return {
        "category": entry.category_id,
        "title": entry.title,
        "body": entry.body,
        "keywords": entry.keywords,
        "effective_from": entry.effective_from.isoformat(),
        "effective_to": "",
        "change_reason": "管理员更正",
        "base_version": entry.version,
        **changes,
    }


def test_an_admin_edit_goes_through_the_same_service(client, entry):
    # given: an open proposal on the entry
    proposal = RevisionProposalFactory(target=entry)
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    # when
    response = client.post(
        reverse("admin:knowledgebase_entry_change", args=[entry.pk]),
        admin_form(entry, body="管理员改过的口径"),
    )
    # then: a new version with an audit row, re-indexed, the proposal outdated
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.version == 2 and entry.body == "管理员改过的口径"
    change = EntryChange.objects.get(entry=entry, version=2)
    assert (change.via, change.author, change.reason) == (
        EntryChange.Via.ADMIN,
        admin_user,
        "管理员更正",
    )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE
    assert hit_ids("管理员改过") == [entry.pk]


def test_an_admin_add_goes_through_the_same_service(client):
    category = CategoryFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:knowledgebase_entry_add"),
        {
            "category": category.pk,
            "title": "管理员新增",
            "body": "内容",
            "keywords": "",
            "effective_from": "2026-01-01",
            "effective_to": "",
            "change_reason": "补录",
        },
    )
    assert response.status_code == 302
    entry = Entry.objects.get(title="管理员新增")
    assert entry.changes.get().via == EntryChange.Via.ADMIN
    assert hit_ids("管理员新增") == [entry.pk]


def test_an_admin_form_opened_on_an_old_version_cannot_overwrite(client, ops_manager, entry):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    old = admin_form(entry, body="旧表单覆盖")
    revise(entry, ops_manager, body="运营第二版")
    response = client.post(reverse("admin:knowledgebase_entry_change", args=[entry.pk]), old)
    assert response.status_code == 200 and "it is now version 2" in response.content.decode()
    assert Entry.objects.get(pk=entry.pk).body == "运营第二版"


def test_admin_staff_without_the_maintain_permission_cannot_edit_or_delete_entries(
    client, training_manager, entry
):
    client.force_login(training_manager)
    assert (
        client.post(
            reverse("admin:knowledgebase_entry_change", args=[entry.pk]),
            admin_form(entry, body="培训经理改"),
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:knowledgebase_entry_add")).status_code == 403
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    assert (
        client.post(
            reverse("admin:knowledgebase_entry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Entry.objects.filter(pk=entry.pk, body="充值一般实时到账。").exists()


# --- migration ------------------------------------------------------------------------------


def test_the_backfill_turns_old_history_sentences_into_change_rows(ops_manager):
    import importlib

    from django.apps import apps

    backfill = importlib.import_module(
        "knowledgebase.migrations.0008_maintainers_permission_and_change_backfill"
    ).backfill
    # given: versions written before EntryChange rows existed (reasons stored as sentences)
    proposal = RevisionProposalFactory(reason="完整的提案理由，比一百个字符的历史字段更长。" * 5)
    entry = proposal.target
    entry._change_reason = "demo"
    entry.save()  # a v1 record of the loader
    entry.version, entry.body = 2, "委员会通过的版本"
    entry._history_user = proposal.proposer
    entry._change_reason = f"proposal #{proposal.pk}: {proposal.reason}"[:100]
    entry.save()
    entry.version, entry.body = 3, "管理员改的版本"
    entry._history_user, entry._change_reason = ops_manager, None
    entry.save()
    # when
    backfill(apps, None)
    backfill(apps, None)  # safe to run twice
    # then
    rows = list(
        EntryChange.objects.filter(entry=entry)
        .order_by("version")
        .values_list("version", "kind", "via", "proposal_id", "reason", "author_id")
    )
    assert rows == [
        (1, "created", "loader", None, "", None),
        (2, "revised", "committee", proposal.pk, proposal.reason, proposal.proposer_id),
        (3, "revised", "admin", None, "", ops_manager.pk),
    ]


def test_reverting_in_the_admin_history_makes_a_new_version_through_the_service(
    client, ops_manager, entry
):
    # given: version 2 replaced the text of version 1
    revise(entry, ops_manager, body="第二版")
    first = entry.history.filter(version=1).order_by("history_id").last()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:knowledgebase_entry_simple_history", args=[entry.pk, first.history_id])
    form = client.get(url).context["adminform"].form
    assert form["base_version"].initial == 2  # the stored version, not the old one shown
    # when: the old version is saved back with a reason
    response = client.post(
        url,
        {
            **admin_form(entry, body="充值一般实时到账。"),
            "change_reason": "回退",
            "base_version": 2,
        },
    )
    # then: a third version with the old text, written by the service
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.version, entry.body) == (3, "充值一般实时到账。")
    assert entry.changes.get(version=3).via == EntryChange.Via.ADMIN
