"""One error hierarchy (config/errors.py), one API error shape, one helper for pages."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import RequestFactory
from rest_framework import exceptions

from config.errors import (
    AppError,
    AppErrorMiddleware,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    ValidationFailedError,
    api_exception_handler,
    form_error,
    message_error,
)

pytestmark = pytest.mark.django_db


# --- the hierarchy and the handler ------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_error", "status", "body"),
    [
        (
            lambda: ValidationFailedError("Give a reason.", field="reason"),
            400,
            {
                "detail": "Give a reason.",
                "code": "invalid",
                "fields": {"reason": ["Give a reason."]},
            },
        ),
        (
            lambda: ValidationFailedError(
                fields={"__all__": ["Bad pile sizes."], "important": ["Too many."]}
            ),
            400,
            {
                "detail": "Bad pile sizes. Too many.",
                "code": "invalid",
                "fields": {"non_field_errors": ["Bad pile sizes."], "important": ["Too many."]},
            },
        ),
        (lambda: NotFoundError(), 404, {"detail": "Not found.", "code": "not_found"}),
        (
            lambda: PermissionDeniedError(),
            403,
            {
                "detail": "You do not have permission to perform this action.",
                "code": "permission_denied",
            },
        ),
        (
            lambda: ConflictError("This proposal is no longer open.", code="proposal_closed"),
            409,
            {"detail": "This proposal is no longer open.", "code": "proposal_closed"},
        ),
        (lambda: ThrottledError("Slow down."), 429, {"detail": "Slow down.", "code": "throttled"}),
        (
            lambda: exceptions.ValidationError(
                {"answers": [{"option": ["Unknown option."]}, {}], "q": ["Required."]}
            ),
            400,
            {
                "detail": "answers.0.option: Unknown option. q: Required.",
                "code": "invalid",
                "fields": {"answers.0.option": ["Unknown option."], "q": ["Required."]},
            },
        ),
        (
            lambda: exceptions.ValidationError(
                {"answers": {"non_field_errors": ["Expected a list."]}}
            ),
            400,
            {
                "detail": "answers: Expected a list.",
                "code": "invalid",
                "fields": {"answers": ["Expected a list."]},
            },
        ),
        (
            lambda: exceptions.NotAuthenticated(),
            401,
            {
                "detail": "Authentication credentials were not provided.",
                "code": "not_authenticated",
            },
        ),
        (
            lambda: exceptions.MethodNotAllowed("GET"),
            405,
            {"detail": 'Method "GET" not allowed.', "code": "method_not_allowed"},
        ),
        (
            lambda: exceptions.ParseError(),
            400,
            {"detail": "Malformed request.", "code": "parse_error"},
        ),
        (lambda: Http404(), 404, {"detail": "Not found.", "code": "not_found"}),
        (lambda: ObjectDoesNotExist(), 404, {"detail": "Not found.", "code": "not_found"}),
        (
            lambda: DjangoPermissionDenied(),
            403,
            {
                "detail": "You do not have permission to perform this action.",
                "code": "permission_denied",
            },
        ),
        (
            lambda: DjangoValidationError({"max_group_size": ["Too small."]}),
            400,
            {
                "detail": "max_group_size: Too small.",
                "code": "invalid",
                "fields": {"max_group_size": ["Too small."]},
            },
        ),
    ],
)
def test_every_error_becomes_the_one_shape_with_its_status(make_error, status, body):
    # given an error raised while English is active (messages are translated when raised)
    error = make_error()
    # when
    response = api_exception_handler(error, {})
    # then
    assert response.status_code == status
    assert response.data == body


def test_a_throttled_answer_says_when_to_retry():
    response = api_exception_handler(exceptions.Throttled(wait=12), {})
    assert response.status_code == 429 and response["Retry-After"] == "12"
    assert response.data["code"] == "throttled"


def test_a_programming_error_is_not_disguised_as_a_client_error():
    assert api_exception_handler(KeyError("oops"), {}) is None


@pytest.mark.parametrize(
    ("module", "name", "base"),
    [
        ("review.services", "ReviewError", ValidationFailedError),
        ("review.services", "ReviewPermissionDenied", PermissionDeniedError),
        ("review.services", "OutdatedBaseVersion", ConflictError),
        ("review.registry", "StaleBaseVersion", ConflictError),
        ("casebase.services.errors", "CaseError", ValidationFailedError),
        ("casebase.services.errors", "AudioInvalid", ValidationFailedError),
        ("casebase.services.errors", "CaseAlreadyRated", ConflictError),
        ("curriculum.services", "CurriculumError", ValidationFailedError),
        ("curriculum.services", "CurriculumConflict", ConflictError),
        ("knowledgebase.services", "QueryTestError", ValidationFailedError),
        ("knowledgebase.services", "RetakeTooSoon", ValidationFailedError),
        ("competency.services", "QSortError", ValidationFailedError),
        ("competency.services", "QSortNotInvited", PermissionDeniedError),
        ("points.models", "AmountInvalid", ValidationFailedError),
        ("points.services", "PointsConflict", ConflictError),
        ("points.services", "VolunteerSheetRejected", ValidationFailedError),
        ("promotion.services.common", "PromotionError", ValidationFailedError),
        ("promotion.services.common", "ExamError", ValidationFailedError),
        ("promotion.services.common", "PromotionConflict", ConflictError),
        ("accounts.services", "LoginRefused", ValidationFailedError),
        ("accounts.services", "LoginLocked", ThrottledError),
    ],
)
def test_each_apps_errors_belong_to_the_one_hierarchy(module, name, base):
    import importlib

    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, base) and issubclass(cls, AppError)


def test_a_case_error_is_no_longer_a_review_error():
    from casebase.services.errors import CaseError
    from review.services import ReviewError

    assert not issubclass(CaseError, ReviewError)


def test_an_audio_error_names_its_field():
    from casebase.services.errors import AudioInvalid

    assert AudioInvalid("Not a recording.").fields == {"audio": ["Not a recording."]}


# --- the web helper ---------------------------------------------------------------------------


def _request():
    request = RequestFactory().post("/x/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_form_error_puts_field_messages_on_their_fields_and_the_rest_on_the_form():
    from django import forms

    class Form(forms.Form):
        reason = forms.CharField(required=False)

    form = Form(data={"reason": ""})
    form.is_valid()
    form_error(
        form,
        ValidationFailedError(fields={"reason": ["Give a reason."], "category_id": ["Unknown."]}),
    )
    assert form.errors["reason"] == ["Give a reason."]
    assert form.non_field_errors() == ["Unknown."]


@pytest.mark.parametrize("error_class", [NotFoundError, PermissionDeniedError])
def test_the_web_helpers_leave_not_found_and_forbidden_to_their_pages(error_class):
    with pytest.raises(error_class):
        message_error(_request(), error_class())


def test_message_error_shows_the_message():
    request = _request()
    message_error(request, ConflictError("Already judged."))
    assert [str(m) for m in get_messages(request)] == ["Already judged."]


@pytest.mark.parametrize(
    ("error", "status"),
    [(ConflictError("Already decided."), 409), (ValidationFailedError("Bad."), 400)],
)
def test_a_domain_error_no_page_handled_is_its_status_not_a_500(rf, csr, error, status):
    request = rf.get("/review/")
    request.user = csr
    response = AppErrorMiddleware(lambda r: None).process_exception(request, error)
    assert response.status_code == status and error.message in response.content.decode()


def test_the_middleware_leaves_other_exceptions_alone(rf):
    assert AppErrorMiddleware(lambda r: None).process_exception(rf.get("/"), KeyError("x")) is None
