"""A new CSR's first day: the getting-started guide, the sandbox and the tour checklist."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import onboarding
from accounts.models import OnboardingProgress
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kb_category():
    from knowledgebase.tests.factories import CategoryFactory

    return CategoryFactory(code="billing", name="资费")


@pytest.fixture
def case_category():
    from casebase.tests.factories import category

    return category()


def _real_rows() -> dict[str, int]:
    """Row counts of every table a real proposal, its review or its reward would write."""
    from casebase.models import Case, CaseEvent, CaseExposure, CaseNode
    from knowledgebase.models import Entry
    from points.models import PointsEntry, PointsEvent
    from promotion.models import Notification
    from review.models import Proposal, Recusal, ReviewEvent, Vote

    models = (
        Proposal,
        Vote,
        Recusal,
        ReviewEvent,
        Entry,
        Entry.history.model,
        Case,
        CaseNode,
        CaseEvent,
        CaseExposure,
        PointsEntry,
        PointsEvent,
        Notification,
    )
    return {model.__name__: model.objects.count() for model in models}


def _kb_post(cat, **changes) -> dict:
    data = {
        "category": cat.pk,
        "title": onboarding.SIMULATED_ENTRY["title"],
        "keywords": onboarding.SIMULATED_ENTRY["keywords"],
        "body": onboarding.SIMULATED_ENTRY["body"],
        "base_version": onboarding.SIMULATED_VERSION,
        "reason": "更准确",
    }
    return {**data, **changes}


def _case_post(cat, **changes) -> dict:
    data = {
        "base_version": onboarding.SIMULATED_VERSION,
        "title": onboarding.SIMULATED_CASE["title"],
        "category": cat.pk,
        "background": onboarding.SIMULATED_CASE["background"],
        "tree": onboarding.SIMULATED_CASE["tree"],
        "reason": "补充分支",
        "participants": "",
    }
    return {**data, **changes}


NEW_TREE = (
    "客户: 我要投诉！ | 情绪: 生气\n"
    "  客服: 非常抱歉给您带来不便，请您具体说说。 | 出发点: 先倾听 | 结果: 客户说明情况 "
    "| 最终状态: 平静\n"
)


# --- the guide ------------------------------------------------------------------------------


def test_getting_started_lists_every_way_to_earn_points_from_the_rule_rows(client, csr):
    from points.models import PointRule

    client.force_login(csr)
    content = client.get(reverse("accounts:getting_started")).content.decode()
    for rule in PointRule.objects.filter(active=True).exclude(code=PointRule.MANUAL_CORRECTION):
        assert f'id="rule-{rule.code}"' in content, rule.code
        row = content.split(f'id="rule-{rule.code}"')[1].split("</tr>")[0]
        assert f'<td class="amount">{rule.range_display()}</td>' in row
    assert 'id="rule-manual_correction"' not in content  # a correction is not a way to earn


def test_changing_a_rule_amount_changes_the_guide(client, csr):
    from points.models import PointRule

    # given
    client.force_login(csr)
    row_of = lambda content: content.split('id="rule-kb_revision_accepted"')[1].split("</tr>")[0]  # noqa: E731
    before = row_of(client.get(reverse("accounts:getting_started")).content.decode())
    assert '<td class="amount">2–5</td>' in before
    # when an admin changes the rule
    PointRule.objects.filter(code=PointRule.KB_REVISION_ACCEPTED).update(
        min_amount=3, max_amount=8, default_amount=None
    )
    PointRule.objects.filter(code=PointRule.MENTOR_LEVEL_UP).update(active=False)
    # then
    content = client.get(reverse("accounts:getting_started")).content.decode()
    assert '<td class="amount">3–8</td>' in row_of(content)
    assert "Accepted: 3–8 points." in content  # the how-to section reads the same row
    assert 'id="rule-mentor_level_up"' not in content  # an inactive rule pays nothing


def test_getting_started_shows_each_levels_tasks_and_rights_from_the_level_rows(client, csr):
    from promotion.models import Level, LevelRequirement
    from review.models import ReviewSettings

    # given
    LevelRequirement.objects.filter(level__number=1).update(points_threshold=777)
    Level.objects.filter(number=2).update(privileges="午休轮换优先\n参观学习名额", privileges_en="")
    ReviewSettings.objects.filter(pk=1).update(applicant_min_level=3)
    client.force_login(csr)
    # when
    content = client.get(reverse("accounts:getting_started")).content.decode()
    # then
    level1 = content.split('id="level-1"')[1].split("</tr>")[0]
    assert "Earn 777 points since your last level change." in level1
    level2 = content.split('id="level-2"')[1].split("</tr>")[0]
    assert "午休轮换优先" in level2 and "参观学习名额" in level2
    level3 = content.split('id="level-3"')[1].split("</tr>")[0]
    assert "May apply to the review committee" in level3
    assert "May apply to the review committee" not in level2
    for number in range(6):
        assert f'id="level-{number}"' in content


def test_the_guide_reads_rules_and_levels_in_constant_queries(client, csr):
    from points.models import PointRule

    client.force_login(csr)
    client.get(
        reverse("accounts:getting_started")
    )  # caches the permission set and the settings rows
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:getting_started"))
    for n in range(5):
        PointRule.objects.create(
            code=f"extra-{n}", name=f"额外{n}", min_amount=1, max_amount=10 + n
        )
    with CaptureQueriesContext(connection) as more:
        content = client.get(reverse("accounts:getting_started")).content.decode()
    assert '<td class="amount">1–14</td>' in content  # a rule an admin adds is listed too
    assert len(more.captured_queries) == len(few.captured_queries)


def test_getting_started_is_only_for_employees_who_study(client, hr):
    client.force_login(hr)
    assert client.get(reverse("accounts:getting_started")).status_code == 403
    assert client.post(reverse("accounts:getting_started_read")).status_code == 403
    assert client.get(reverse("accounts:sandbox_kb")).status_code == 403


def test_marking_read_is_post_only(client, csr):
    client.force_login(csr)
    assert client.get(reverse("accounts:getting_started_read")).status_code == 405
    assert not OnboardingProgress.objects.filter(user=csr).exists()


# --- the checklist on the home page -----------------------------------------------------------


def test_a_new_csr_sees_the_checklist_until_every_step_is_done(
    client, csr, kb_category, case_category
):
    client.force_login(csr)
    home = reverse("home")
    assert 'id="panel-tour"' in client.get(home).content.decode()
    assert reverse("accounts:getting_started") in client.get(home).content.decode()

    client.post(reverse("accounts:getting_started_read"))
    content = client.get(home).content.decode()
    assert (
        'class="met" id="tour-read_guide"' in content
        and 'class="missing" id="tour-practised_kb"' in content
    )

    client.post(
        reverse("accounts:sandbox_kb"),
        _kb_post(kb_category, body="客户要求退订流量包时：先核实身份。"),
    )
    client.post(
        reverse("accounts:sandbox_case"),
        _case_post(case_category, title="【练习】话费多扣（修订）"),
    )

    progress = OnboardingProgress.objects.get(user=csr)
    assert progress.completed_at is not None
    assert 'id="panel-tour"' not in client.get(home).content.decode()


def test_employees_already_on_the_ladder_or_not_studying_see_no_checklist(client, hr):
    client.force_login(UserFactory(level=2, roles=["CSR"]))
    assert 'id="panel-tour"' not in client.get(reverse("home")).content.decode()
    assert hr.level == 0
    client.force_login(hr)
    assert 'id="panel-tour"' not in client.get(reverse("home")).content.decode()


def _home_queries(client, user) -> int:
    client.force_login(user)
    client.get(reverse("home"))  # the first request caches the permission set and the settings
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries.captured_queries)


def test_the_checklist_costs_the_home_page_one_query_whatever_the_progress(client, csr):
    on_the_ladder = _home_queries(client, UserFactory(level=1, roles=["CSR"]))
    fresh = _home_queries(client, csr)
    onboarding.onboarding_step_done(user=csr, step=onboarding.STEP_READ)
    started = _home_queries(client, csr)
    assert fresh == started == on_the_ladder + 1


def test_nobody_can_tick_someone_elses_tour(client, api, csr, kb_category):
    # given another new CSR
    other = UserFactory(staff_id="NEW002", roles=["CSR"])
    client.force_login(csr)
    # when the first one names the other in every way a form or API body could
    for extra in (
        {"user": other.pk},
        {"user_id": other.pk},
        {"staff_id": other.staff_id},
        {"employee": other.pk},
    ):
        client.post(reverse("accounts:getting_started_read"), extra)
        client.post(reverse("accounts:sandbox_kb"), {**_kb_post(kb_category, body="改了"), **extra})
        api.force_authenticate(csr)
        api.post(
            reverse("api-onboarding-sandbox"),
            {"kind": "kb_revision", **_kb_post(kb_category, body="改"), **extra},
            format="json",
        )
    # then only their own tour moved
    assert not OnboardingProgress.objects.filter(user=other).exists()
    mine = OnboardingProgress.objects.get(user=csr)
    assert mine.read_guide_at and mine.practised_kb_at
    api.force_authenticate(other)
    assert not any(s["done"] for s in api.get(reverse("api-onboarding")).json()["steps"])


def test_the_admin_cannot_edit_or_add_tour_progress(client, csr):
    from django.contrib import admin

    from accounts.admin import OnboardingProgressAdmin

    superuser = UserFactory(is_staff=True, is_superuser=True)
    model_admin = OnboardingProgressAdmin(OnboardingProgress, admin.site)
    request = type("R", (), {"user": superuser})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    client.force_login(superuser)
    assert client.get(reverse("admin:accounts_onboardingprogress_changelist")).status_code == 200


# --- the sandbox ------------------------------------------------------------------------------


def test_a_kb_practice_shows_the_committees_diff_and_writes_no_real_row(
    client, csr, kb_category, django_capture_on_commit_callbacks
):
    # given
    client.force_login(csr)
    before = _real_rows()
    # when (even with the real form's "submit" button name)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            reverse("accounts:sandbox_kb"),
            {
                **_kb_post(kb_category, body="客户要求退订流量包时：先核实身份，再说明次月生效。"),
                "submit": "",
            },
        )
    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="sandbox-preview"' in content
    assert "<ins>" in content and "<del>" in content
    assert "更准确" in content.split('id="sandbox-preview"')[1]  # the reason, as on the review page
    assert "If accepted, each approving member chooses your points within 2–5" in content
    assert _real_rows() == before
    assert queued == []  # no task (notification, reindex, mail) was queued either
    assert OnboardingProgress.objects.get(user=csr).practised_kb_at is not None


def test_a_case_revision_practice_shows_the_committees_summary_and_writes_no_real_row(
    client, csr, case_category
):
    client.force_login(csr)
    before = _real_rows()
    tree = onboarding.SIMULATED_CASE["tree"].replace("系统扣费不会错的。", "我先帮您核实一下。")
    response = client.post(reverse("accounts:sandbox_case"), _case_post(case_category, tree=tree))
    content = response.content.decode()
    assert response.status_code == 200 and 'id="sandbox-preview"' in content
    assert (
        "Changes against the version it was written on" in content
    )  # the review page's case summary
    assert 'class="diff-line add"' in content and "我先帮您核实一下。" in content
    assert _real_rows() == before
    assert OnboardingProgress.objects.get(user=csr).practised_case_at is not None


def test_a_new_case_practice_is_checked_like_a_real_one_and_writes_no_real_row(
    client, csr, case_category
):
    client.force_login(csr)
    before = _real_rows()
    response = client.post(
        reverse("accounts:sandbox_case_new"),
        {
            "title": "投诉客户",
            "category": case_category.pk,
            "suggested_level": 1,
            "background": "客户来电投诉",
            "tree": NEW_TREE,
            "reason": "常见场景",
            "participants": "",
        },
    )
    assert 'id="sandbox-preview"' in response.content.decode()
    assert "我要投诉" in response.content.decode()
    assert _real_rows() == before


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": ""}, "title", "This field is required."),
        ({"body": "   "}, "body", "This field is required."),
        ({"category": "999999"}, "category", "Select a valid choice."),
        ({"category": "abc"}, "category", "Select a valid choice."),
        ({"category": "99999999999999999999"}, "category", "Select a valid choice."),
        ({"base_version": "x"}, "base_version", "Enter a whole number."),
        ({"title": "退订\x00流量包"}, "title", "Null characters are not allowed."),
        ({}, "__all__", "The proposal changes nothing."),
        ({"base_version": "7", "body": "改了"}, "__all__", "it is now version 1"),
    ],
)
def test_bad_kb_practice_input_gives_form_errors_not_a_500(
    client, csr, kb_category, changes, field, message
):
    client.force_login(csr)
    response = client.post(reverse("accounts:sandbox_kb"), _kb_post(kb_category, **changes))
    assert response.status_code == 200
    errors = response.context["attempt"].form.errors
    assert any(message in m for m in errors[field]), errors
    assert 'id="sandbox-preview"' not in response.content.decode()
    assert not OnboardingProgress.objects.filter(user=csr, practised_kb_at__isnull=False).exists()


@pytest.mark.parametrize(
    "changes, field, message",
    [
        (
            {"tree": "客服: 您好 | 出发点: 礼貌 | 结果: 好 | 最终状态: 满意"},
            "tree",
            "the first turn must be the customer's question",
        ),
        (
            {"tree": "客户: 我要退费\n  客服: 好的 | 结果: 退费 | 最终状态: 满意"},
            "tree",
            "give at least one rationale",
        ),
        ({"tree": "客户: 你好\n   客服: 缩进错"}, "tree", "indent with two spaces"),
        ({"participants": "NOBODY99"}, "participants", "NOBODY99"),
        ({"participants": "CSR001"}, "participants", "CSR001"),
        ({"category": "0"}, "category", "Select a valid choice."),
        ({"category": "99999999999999999999"}, "category", "Select a valid choice."),
        ({"base_version": "99999999999999999999", "title": "改"}, "__all__", "it is now version 1"),
        ({}, "__all__", "The proposal changes nothing."),
    ],
)
def test_bad_case_practice_input_gives_the_real_forms_errors_not_a_500(
    client, csr, case_category, changes, field, message
):
    client.force_login(csr)
    response = client.post(reverse("accounts:sandbox_case"), _case_post(case_category, **changes))
    assert response.status_code == 200
    errors = response.context["attempt"].form.errors
    assert any(message in m for m in errors[field]), errors
    assert not OnboardingProgress.objects.filter(user=csr).exists()


def test_an_empty_sandbox_post_gives_form_errors(client, csr):
    client.force_login(csr)
    for name in ("accounts:sandbox_kb", "accounts:sandbox_case", "accounts:sandbox_case_new"):
        response = client.post(reverse(name), {})
        assert response.status_code == 200
        assert response.context["attempt"].form.errors


def test_the_sandbox_pages_open_with_the_simulated_content(client, csr, kb_category, case_category):
    client.force_login(csr)
    kb = client.get(reverse("accounts:sandbox_kb")).content.decode()
    assert onboarding.SIMULATED_ENTRY["title"] in kb and 'id="simulated-entry"' in kb
    case = client.get(reverse("accounts:sandbox_case")).content.decode()
    assert "我的话费怎么多扣了50元？" in case
    assert client.get(reverse("accounts:sandbox")).status_code == 200
    assert client.get(reverse("accounts:sandbox_case_new")).status_code == 200


# --- API --------------------------------------------------------------------------------------


def test_api_tour_state_is_the_callers_own(api, csr):
    api.force_authenticate(csr)
    body = api.get(reverse("api-onboarding")).json()
    assert [s["code"] for s in body["steps"]] == ["read_guide", "practised_kb", "practised_case"]
    assert body["completed"] is False
    onboarding.onboarding_step_done(user=csr, step=onboarding.STEP_READ)
    assert api.get(reverse("api-onboarding")).json()["steps"][0]["done"] is True


def test_api_sandbox_previews_without_writing_real_rows(api, csr, kb_category):
    api.force_authenticate(csr)
    before = _real_rows()
    response = api.post(
        reverse("api-onboarding-sandbox"),
        {
            "kind": "kb_revision",
            "category": kb_category.pk,
            "title": "流量包退订口径（练习）",
            "keywords": "流量包",
            "body": "先核实身份。",
            "reason": "更清楚",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert "<ins>" in body["preview_html"] and body["points_range"] == "2–5"
    assert body["tour"]["steps"][1]["done"] is True
    assert _real_rows() == before


def test_api_sandbox_accepts_a_case_tree_in_the_text_format(api, csr, case_category):
    api.force_authenticate(csr)
    response = api.post(
        reverse("api-onboarding-sandbox"),
        {
            "kind": "case_new",
            "title": "投诉",
            "category": case_category.pk,
            "suggested_level": 2,
            "background": "客户来电",
            "tree": NEW_TREE,
            "reason": "练习",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "kb_revision", "title": ""}, "title"),
        ({"kind": "case_new", "tree": "客户: 只有问题"}, "tree"),
        ({"kind": "nothing"}, "kind"),
        ({}, "kind"),
        ({"kind": "kb_revision", "category": "x"}, "category"),
    ],
)
def test_api_sandbox_bad_input_is_a_400_with_field_messages(api, csr, kb_category, body, field):
    api.force_authenticate(csr)
    response = api.post(reverse("api-onboarding-sandbox"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_api_onboarding_permissions_and_methods(api, hr, csr):
    assert api.get(reverse("api-onboarding")).status_code == 401
    api.force_authenticate(hr)
    assert api.get(reverse("api-onboarding")).status_code == 403
    assert (
        api.post(
            reverse("api-onboarding-sandbox"), {"kind": "kb_revision"}, format="json"
        ).status_code
        == 403
    )
    api.force_authenticate(csr)
    assert api.put(reverse("api-onboarding"), {}, format="json").status_code == 405
    assert api.get(reverse("api-onboarding-sandbox")).status_code == 405


# --- demo -------------------------------------------------------------------------------------


def test_the_demo_has_a_new_csr_with_the_tour_open(client):
    call_command("demo", force=True, stdout=io.StringIO())
    from accounts.models import User

    new = User.objects.get(staff_id="HB0007")
    assert new.level == 0 and new.has_perm("accounts.study")
    assert not OnboardingProgress.objects.filter(user=new).exists()
    client.force_login(new)
    assert 'id="panel-tour"' in client.get(reverse("home")).content.decode()
