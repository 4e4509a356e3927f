"""Each list with a web page and an API list filters through one FilterSet: the same query
string gives the same rows on both, and bad filter input is a form error on the page and a
400 naming the field in the API (never a 500)."""

import pytest
from django.urls import reverse

from accounts.tests.factories import CentreFactory, UserFactory
from competency.tests.factories import CompetencyItemFactory
from curriculum.tests.factories import CourseFactory, call_step

pytestmark = pytest.mark.django_db


def _web(client, url_name, params):
    response = client.get(reverse(url_name), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


def test_employee_directory_and_api_give_the_same_rows_for_a_centre(client, api, hr):
    north, south = CentreFactory(name="北区"), CentreFactory(name="南区")
    UserFactory(staff_id="N1", centre=north, level=2)
    UserFactory(staff_id="N2", centre=north, level=3)
    UserFactory(staff_id="S1", centre=south, level=2)
    client.force_login(hr)
    api.force_authenticate(hr)
    for params in ({"centre": north.pk}, {"centre": north.pk, "level": 2}, {"level": 2}):
        web = [
            e.staff_id for e in _web(client, "accounts:employee_directory", params).context["page"]
        ]
        api_rows = [e["staff_id"] for e in api.get("/api/employees/", params).json()["results"]]
        assert web == api_rows
    assert api_rows == ["N1", "S1"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"centre": "abc"}, "centre"),
        ({"centre": 999999}, "centre"),
        ({"team": "x"}, "team"),
        ({"level": "-1"}, "level"),
    ],
)
def test_bad_employee_filter_is_a_form_error_and_a_400(client, api, hr, params, field):
    client.force_login(hr)
    page = _web(client, "accounts:employee_directory", params)
    assert page.context["form"].errors[field] and page.context["page"].paginator.count == 0
    api.force_authenticate(hr)
    response = api.get("/api/employees/", params)
    assert response.status_code == 400 and field in response.json()["fields"]


def test_course_catalogue_page_and_api_give_the_same_rows(client, api, csr):
    item = CompetencyItemFactory()
    a = CourseFactory(code="A1", is_priority=True, items=[item])
    a.call_steps.add(call_step("greeting"))
    CourseFactory(code="B1", title="另一门")
    client.force_login(csr)
    api.force_authenticate(csr)
    for params, expected in (
        ({"priority": "true"}, ["A1"]),
        ({"item": item.pk}, ["A1"]),
        ({"call_step": "greeting"}, ["A1"]),
        ({"q": "B1"}, ["B1"]),
        ({}, ["A1", "B1"]),
    ):
        web = [c.code for c in _web(client, "curriculum:course_list", params).context["page"]]
        api_rows = [
            c["code"] for c in api.get("/api/curriculum/courses/", params).json()["results"]
        ]
        assert web == api_rows == expected, params
    # the page's tick box sends "true"; unticked, the filter is off
    page = _web(client, "curriculum:course_list", {}).content.decode()
    assert 'name="priority" value="true"' in page


@pytest.mark.parametrize(
    "params, field", [({"item": "abc"}, "item"), ({"call_step": "no-such-step"}, "call_step")]
)
def test_bad_course_filter_is_a_form_error_and_a_400(client, api, csr, params, field):
    CourseFactory(code="A1")
    client.force_login(csr)
    page = _web(client, "curriculum:course_list", params)
    assert page.context["form"].errors[field] and page.context["page"].paginator.count == 0
    api.force_authenticate(csr)
    response = api.get("/api/curriculum/courses/", params)
    assert response.status_code == 400 and field in response.json()["fields"]


def test_competency_dictionary_page_and_api_give_the_same_rows(client, api, csr):
    client.force_login(csr)
    api.force_authenticate(csr)
    params = {"module": "service", "ksao": "A"}
    web = [i.code for i in _web(client, "competency:dictionary", params).context["page"]]
    api_rows = [i["code"] for i in api.get("/api/competency/items/", params).json()["results"]]
    assert web == api_rows == ["service-cognition", "stress-resistance", "customer-orientation"]


@pytest.mark.parametrize(
    "params, field", [({"ksao": "O"}, "ksao"), ({"module": "no-such-module"}, "module")]
)
def test_bad_dictionary_filter_is_a_form_error_and_a_400(client, api, csr, params, field):
    client.force_login(csr)
    page = _web(client, "competency:dictionary", params)
    assert page.context["form"].errors[field] and page.context["page"].paginator.count == 0
    api.force_authenticate(csr)
    response = api.get("/api/competency/items/", params)
    assert response.status_code == 400 and field in response.json()["fields"]


def test_points_history_page_and_api_give_the_same_rows(client, api, csr):
    from points import services
    from points.tests.factories import PointsEntryFactory

    PointsEntryFactory(employee=csr, amount=7)
    services.points_award(employee=csr, rule_code="committee_kb_review", source="r:1")
    client.force_login(csr)
    api.force_authenticate(csr)
    for params, count in (
        ({"rule": "committee_kb_review"}, 1),
        ({"date_from": "2000-01-01"}, 2),
        ({"date_to": "2000-01-01"}, 0),
    ):
        web = [e.pk for e in _web(client, "points:my_points", params).context["page"]]
        api_rows = [e["id"] for e in api.get("/api/points/me/history/", params).json()["results"]]
        assert web == api_rows and len(web) == count, params


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"rule": "nope"}, "rule", "Unknown rule."),
        ({"date_from": "not-a-date"}, "date_from", "Enter a valid date."),
        ({"date_to": "9999-12-31"}, "date_to", "Choose a date between 2000-01-01 and 2099-12-31."),
    ],
)
def test_bad_points_history_filter_is_a_form_error_and_a_400(
    client, api, csr, params, field, message
):
    client.force_login(csr)
    page = _web(client, "points:my_points", params)
    assert (
        page.context["form"].errors[field] == [message]
        and page.context["page"].paginator.count == 0
    )
    api.force_authenticate(csr)
    response = api.get("/api/points/me/history/", params)
    assert response.status_code == 400 and response.json()["fields"][field] == [message]


def test_case_catalogue_page_and_api_give_the_same_rows(client, api, ops_manager):
    from casebase.models import Case
    from casebase.tests.factories import CaseFactory, category

    emotion = category()
    billing = category(code="billing", name="话费")
    sub = category(code="billing-roam", name="漫游", parent=billing)
    one = CaseFactory(title="甲", category=emotion, level=1)
    two = CaseFactory(title="乙", category=sub, level=2)
    retired = CaseFactory(title="丙", category=billing, level=2)
    Case.objects.filter(pk=retired.pk).update(status=Case.Status.HISTORY)
    client.force_login(ops_manager)
    api.force_authenticate(ops_manager)
    for params, expected in (
        ({}, [one, two]),
        ({"level": 2}, [two]),
        ({"category": billing.pk}, [two]),
        ({"status": "history"}, [retired]),
        ({"q": "甲"}, [one]),
        ({"kind": "voice"}, []),
    ):
        web = [c.pk for c in _web(client, "casebase:catalogue", params).context["page"]]
        api_rows = [c["id"] for c in api.get("/api/cases/catalogue/", params).json()["results"]]
        assert web == api_rows == [c.pk for c in expected], params


@pytest.mark.parametrize(
    "params, field",
    [
        ({"category": 999999}, "category"),
        ({"category": "x"}, "category"),
        ({"level": 9}, "level"),
        ({"kind": "video"}, "kind"),
        ({"status": "gone"}, "status"),
        ({"split": "exam"}, "split"),
    ],
)
def test_bad_catalogue_filter_is_a_form_error_and_a_400(client, api, ops_manager, params, field):
    client.force_login(ops_manager)
    page = _web(client, "casebase:catalogue", params)
    assert page.context["form"].errors[field] and page.context["page"].paginator.count == 0
    api.force_authenticate(ops_manager)
    response = api.get("/api/cases/catalogue/", params)
    assert response.status_code == 400 and field in response.json()["fields"]
    if params == {"category": 999999}:
        assert response.json()["fields"] == {"category": ["Unknown category."]}


def test_study_page_and_api_give_the_same_rows(client, api):
    from casebase.tests.factories import CaseFactory, category

    user = UserFactory(level=2, roles=["CSR"])
    billing = category(code="billing", name="话费")
    one = CaseFactory(title="一级", level=1, category=billing)
    three = CaseFactory(
        title="三级", level=3, category=category(code="roam", name="漫游", parent=billing)
    )
    other = CaseFactory(title="三级别类", level=3, category=category())
    client.force_login(user)
    api.force_authenticate(user)
    for params, expected in (
        ({}, [three, other]),
        ({"level": 1}, [one]),
        ({"category": billing.pk}, [three]),
    ):
        web = [c.pk for c in _web(client, "casebase:library", params).context["page"]]
        api_rows = [c["id"] for c in api.get("/api/cases/study/", params).json()["results"]]
        assert web == api_rows == [c.pk for c in expected], params


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"level": 4}, "level", "Choose a level from 1 to 3."),
        ({"level": "x"}, "level", "Choose a level from 1 to 3."),
        ({"category": 999999}, "category", "Unknown category."),
    ],
)
def test_bad_study_filter_is_a_form_error_and_a_400(client, api, params, field, message):
    user = UserFactory(level=2, roles=["CSR"])
    client.force_login(user)
    page = _web(client, "casebase:library", params)
    assert (
        page.context["form"].errors[field] == [message]
        and page.context["page"].paginator.count == 0
    )
    assert message in page.content.decode()
    api.force_authenticate(user)
    response = api.get("/api/cases/study/", params)
    assert response.status_code == 400 and response.json()["fields"] == {field: [message]}


def test_suggested_calls_page_and_api_give_the_same_rows(client, api, csr, ops_manager):
    from casebase.models import CallSuggestion

    first = CallSuggestion.objects.create(call_ref="CR-1", reason="r", suggested_by=csr)
    second = CallSuggestion.objects.create(call_ref="CR-2", reason="r", suggested_by=csr)
    declined = CallSuggestion.objects.create(
        call_ref="CR-3", reason="r", suggested_by=csr, status=CallSuggestion.Status.DECLINED
    )
    client.force_login(ops_manager)
    api.force_authenticate(ops_manager)
    for params, expected in (
        ({}, [first, second]),
        ({"status": "declined"}, [declined]),
        ({"status": "accepted"}, []),
    ):
        web = [s.pk for s in _web(client, "casebase:calls", params).context["page"]]
        api_rows = [s["id"] for s in api.get("/api/cases/calls/", params).json()["results"]]
        assert web == api_rows == [s.pk for s in expected], params


def test_bad_suggested_calls_status_is_a_form_error_and_a_400(client, api, ops_manager):
    client.force_login(ops_manager)
    page = _web(client, "casebase:calls", {"status": "gone"})
    assert page.context["form"].errors["status"] and page.context["page"].paginator.count == 0
    assert "Select a valid choice" in page.content.decode()
    api.force_authenticate(ops_manager)
    response = api.get("/api/cases/calls/", {"status": "gone"})
    assert response.status_code == 400 and "status" in response.json()["fields"]
