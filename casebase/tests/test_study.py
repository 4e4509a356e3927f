import pytest
from django.db import IntegrityError
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseRating, CaseStudy
from casebase.selectors import next_level
from casebase.services.errors import CaseAlreadyRated, CaseError
from casebase.services.study import case_rate
from casebase.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("level", "expected"), [(0, 1), (1, 2), (4, 5), (5, 5)])
def test_next_level_is_one_above_the_employee_capped_at_five(level, expected):
    assert next_level(UserFactory.build(level=level)) == expected


def test_library_lists_training_cases_of_the_next_level_only(
    client, csr, django_assert_max_num_queries
):
    # given: csr is level 0, so the next level is 1
    training = CaseFactory.create_batch(3, level=1)
    CaseFactory(level=1, split=Case.Split.TEST, title="考试案例")
    CaseFactory(level=2, title="二级案例")
    retired = CaseFactory(level=1, title="历史案例")
    Case.objects.filter(pk=retired.pk).update(status=Case.Status.HISTORY)
    client.force_login(csr)
    # when
    with django_assert_max_num_queries(12):
        response = client.get(reverse("casebase:library"))
    # then
    assert response.status_code == 200
    assert {c.pk for c in response.context["page"]} == {c.pk for c in training}
    assert "考试案例" not in response.content.decode()


def test_library_may_show_a_lower_level_but_never_one_above_next(client):
    user = UserFactory(level=2, roles=["CSR"])
    low = CaseFactory(level=1)
    CaseFactory(level=4)
    client.force_login(user)
    response = client.get(reverse("casebase:library"), {"level": 1})
    assert [c.pk for c in response.context["page"]] == [low.pk]
    above = client.get(reverse("casebase:library"), {"level": 4})
    assert above.context["level"] == 3  # invalid choice falls back to the next level


def test_library_is_403_for_hr_and_405_for_post(client, hr, csr):
    client.force_login(hr)
    assert client.get(reverse("casebase:library")).status_code == 403
    client.force_login(csr)
    assert client.post(reverse("casebase:library")).status_code == 405


def test_study_page_walks_a_text_case_branch_by_branch(client, csr):
    # given
    case = CaseFactory(level=1)
    client.force_login(csr)
    # when: the start shows the first question, the best reply with ranked rationales and the
    # branches
    start = client.get(reverse("casebase:case_detail", args=[case.pk]))
    page = start.content.decode()
    # then
    assert start.status_code == 200
    assert "我的话费怎么多扣了50元？" in page and "愤怒" in page
    assert page.index("先安抚情绪") < page.index("表明立即行动")
    walk = start.context["walk"]
    best, branches = walk.options[0]
    assert best.is_best and len(branches) == 2
    # when: the CSR follows the second branch
    step = client.get(reverse("casebase:case_detail", args=[case.pk]), {"node": branches[1].pk})
    # then: the path so far and the reply to that branch with its outcome are shown
    assert step.context["walk"].current == branches[1]
    assert "24小时内到账" in step.content.decode() and "接受" in step.content.decode()
    assert (
        client.get(reverse("casebase:case_detail", args=[case.pk]), {"node": best.pk}).status_code
        == 404
    )
    assert (
        client.get(reverse("casebase:case_detail", args=[case.pk]), {"node": "x"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    "change", [{"split": Case.Split.TEST}, {"status": Case.Status.HISTORY}, {"level": 3}]
)
def test_test_history_and_too_high_cases_are_404_on_the_web_and_in_the_api(
    client, api, csr, change
):
    case = CaseFactory(level=1)
    Case.objects.filter(pk=case.pk).update(**change)
    client.force_login(csr)
    api.force_authenticate(csr)
    assert client.get(reverse("casebase:case_detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("casebase:case_studied", args=[case.pk])).status_code == 404
    assert (
        client.post(reverse("casebase:case_rate", args=[case.pk]), {"value": "poor"}).status_code
        == 404
    )
    assert api.get(reverse("api-cases-study-detail", args=[case.pk])).status_code == 404
    assert api.post(reverse("api-cases-studied", args=[case.pk])).status_code == 404
    assert (
        api.put(
            reverse("api-cases-rating", args=[case.pk]), {"value": "poor"}, format="json"
        ).status_code
        == 404
    )
    assert case.pk not in [
        row["id"] for row in api.get(reverse("api-cases-study"), {"level": 1}).json()["results"]
    ]


def test_marking_studied_twice_keeps_one_row_and_the_first_timestamp(client, csr):
    case = CaseFactory(level=1)
    client.force_login(csr)
    url = reverse("casebase:case_studied", args=[case.pk])
    assert client.post(url).status_code == 302
    first = CaseStudy.objects.get(employee=csr, case=case).studied_at
    assert client.post(url).status_code == 302
    assert CaseStudy.objects.filter(employee=csr, case=case).count() == 1
    assert CaseStudy.objects.get(employee=csr, case=case).studied_at == first
    assert client.get(url).status_code == 405


def test_a_csr_rates_a_case_once_and_a_second_rating_changes_nothing(client, csr):
    # given: a first rating through the study page
    case = CaseFactory(level=1)
    client.force_login(csr)
    url = reverse("casebase:case_rate", args=[case.pk])
    saved = client.post(url, {"value": "excellent"}, follow=True)
    assert [str(m) for m in saved.context["messages"]] == ["Your rating was saved."]
    first = CaseRating.objects.get(case=case, employee=csr)
    # when: the CSR tries to change it
    response = client.post(url, {"value": "poor"}, follow=True)
    # then: refused with the exact message, nothing changed
    assert [str(m) for m in response.context["messages"]] == [
        "You have already rated this case; a rating cannot be changed."
    ]
    assert list(
        CaseRating.objects.filter(case=case).values_list("employee_id", "value", "rated_at")
    ) == [(csr.pk, "excellent", first.rated_at)]


def test_the_study_page_shows_the_rating_instead_of_the_form_once_rated(client, csr):
    # given
    case = CaseFactory(level=1)
    client.force_login(csr)
    page = client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    assert 'name="value"' in page and 'id="my-rating"' not in page
    # when
    case_rate(employee=csr, case_id=case.pk, value="average")
    # then
    page = client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    assert 'id="my-rating"' in page and "You rated: Average" in page
    assert 'name="value"' not in page


@pytest.mark.parametrize("second", ["excellent", "average", "poor"])
def test_the_service_refuses_a_second_rating_even_with_the_same_value(csr, second):
    # given
    case = CaseFactory(level=1)
    case_rate(employee=csr, case_id=case.pk, value="average")
    # when / then
    with pytest.raises(CaseAlreadyRated) as exc:
        case_rate(employee=csr, case_id=case.pk, value=second)
    assert str(exc.value) == "You have already rated this case; a rating cannot be changed."
    assert list(CaseRating.objects.values_list("value", flat=True)) == ["average"]


def test_another_employee_still_rates_the_same_case(csr):
    case = CaseFactory(level=1)
    colleague = UserFactory(roles=["CSR"])
    case_rate(employee=csr, case_id=case.pk, value="poor")
    case_rate(employee=colleague, case_id=case.pk, value="excellent")
    assert CaseRating.objects.filter(case=case).count() == 2


def test_a_rating_row_cannot_be_saved_again(csr):
    rating = case_rate(employee=csr, case_id=CaseFactory(level=1).pk, value="poor")
    rating.value = "excellent"
    with pytest.raises(TypeError, match="final"):
        rating.save()
    assert CaseRating.objects.get(pk=rating.pk).value == "poor"


def test_the_database_refuses_a_second_rating_row(csr):
    case = CaseFactory(level=1)
    CaseRating.objects.create(case=case, employee=csr, value="average")
    with pytest.raises(IntegrityError):
        CaseRating.objects.create(case=case, employee=csr, value="poor")


def test_a_bad_rating_value_is_refused(csr):
    case = CaseFactory(level=1)
    with pytest.raises(CaseError, match="Choose excellent, average or poor."):
        case_rate(employee=csr, case_id=case.pk, value="great")


# --- API --------------------------------------------------------------------------------


def test_api_study_list_and_nested_detail(api, csr, hr, django_assert_max_num_queries):
    case = CaseFactory(level=1)
    CaseFactory(level=1, split=Case.Split.TEST)
    api.force_authenticate(csr)
    with django_assert_max_num_queries(8):
        listing = api.get(reverse("api-cases-study"))
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["results"]] == [case.pk]
    detail = api.get(reverse("api-cases-study-detail", args=[case.pk])).json()
    assert detail["tree"]["role"] == "customer"
    assert detail["tree"]["children"][0]["rationales"] == ["先安抚情绪", "表明立即行动"]
    assert len(detail["tree"]["children"][0]["children"]) == 2
    assert api.get(reverse("api-cases-study"), {"level": 4}).status_code == 400
    assert api.post(reverse("api-cases-study")).status_code == 405
    api.force_authenticate(hr)
    assert api.get(reverse("api-cases-study")).status_code == 403
    assert api.get(reverse("api-cases-study-detail", args=[case.pk])).status_code == 403


def test_api_marks_studied_and_rates(api, csr):
    case = CaseFactory(level=1)
    api.force_authenticate(csr)
    assert api.post(reverse("api-cases-studied", args=[case.pk])).status_code == 201
    assert api.post(reverse("api-cases-studied", args=[case.pk])).status_code == 200
    assert api.get(reverse("api-cases-studied", args=[case.pk])).status_code == 405
    url = reverse("api-cases-rating", args=[case.pk])
    assert api.put(url, {"value": "wow"}, format="json").status_code == 400
    assert api.put(url, ["excellent"], format="json").status_code == 400
    created = api.put(url, {"value": "excellent"}, format="json")
    assert created.status_code == 201 and created.json()["value"] == "excellent"
    for method in (api.post, api.put):
        again = method(url, {"value": "average"}, format="json")
        assert again.status_code == 409
        assert again.json() == {
            "detail": "You have already rated this case; a rating cannot be changed.",
            "code": "already_rated",
        }
    assert CaseRating.objects.get(case=case, employee=csr).value == "excellent"
    assert api.get(url).status_code == 405


def test_the_study_page_reads_its_counts_and_the_readers_own_marks_in_one_query(
    client, csr, django_assert_num_queries
):
    # given: a case others studied and rated, and the reader's own study and rating

    case = CaseFactory(level=1)
    others = UserFactory.create_batch(3, roles=["CSR"])
    for other, value in zip(others, ["excellent", "excellent", "poor"], strict=True):
        CaseStudy.objects.create(case=case, employee=other)
        case_rate(employee=other, case_id=case.pk, value=value)
    client.force_login(csr)
    url = reverse("casebase:case_detail", args=[case.pk])
    client.get(url)  # the session, permission and settings caches are warm from here on
    # when / then: the user, the case, its counts with the reader's marks (the case's
    # contributors are kept per version: selectors.case_contributor_ids)
    with django_assert_num_queries(3):
        page = client.get(url)
    assert page.context["classicness"] == Case.objects.get(pk=case.pk).classicness()
    assert page.context["rating"] is None and page.context["studied"] is None
    CaseStudy.objects.create(case=case, employee=csr)
    rated = case_rate(employee=csr, case_id=case.pk, value="poor")
    with django_assert_num_queries(3):  # the reader's own marks do not cost a query either
        page = client.get(url)
    assert page.context["rating"].get_value_display() == "Poor"
    assert page.context["rating"].rated_at == rated.rated_at
    assert page.context["studied"].studied_at == CaseStudy.objects.get(employee=csr).studied_at
    assert page.context["classicness"] == Case.objects.get(pk=case.pk).classicness()
    assert "reflection_form" not in page.context  # a text case
