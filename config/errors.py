"""The application's one error hierarchy and the one place it becomes a response.

Services raise an ``AppError`` subclass with the exact message a user sees (and, for bad
input, the messages per input field); they never build responses. Each app keeps its own
named classes where the name carries meaning (``OutdatedBaseVersion(ConflictError)``,
``AudioInvalid(ValidationFailedError)`` …) so callers can still catch the specific case.

- The REST API maps every error to ONE JSON shape through ``api_exception_handler`` (the
  ``EXCEPTION_HANDLER`` of REST_FRAMEWORK): ``{"detail": "<one sentence>", "code": "<stable
  code>", "fields": {"<field>": ["…"]}}`` (``fields`` only when there are field messages).
  ``error_responses_hook`` documents the shape as the ``Error`` component of the OpenAPI
  schema and attaches it to the 4xx responses of every operation.
- Web views show an error with ``form_error(form, exc)`` (field messages on their fields) or
  ``message_error(request, exc)`` (a page message). ``NotFoundError`` and
  ``PermissionDeniedError`` are also Django's ``Http404`` / ``PermissionDenied``, so an
  uncaught one is the usual 404 / 403 page; ``AppErrorMiddleware`` turns any other uncaught
  one into a 400/409 page with its message, never a 500.

This module imports nothing from the apps: every app can import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views import defaults
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

NON_FIELD = "non_field_errors"  # DRF's key for messages about the whole input

MSG_NOT_FOUND = gettext_noop("Not found.")
MSG_PERMISSION_DENIED = gettext_noop("You do not have permission to perform this action.")
MSG_INVALID = gettext_noop("The input is not valid.")
MSG_CONFLICT = gettext_noop("This was changed or decided meanwhile; reload and try again.")
MSG_THROTTLED = gettext_noop("Too many requests; try again later.")
MSG_TOO_LARGE = gettext_noop("The request body is larger than %(kb)s KB.")


class AppError(Exception):
    """A rule refused the action. ``message`` is shown to the user as is; ``fields`` maps
    input fields to their messages ({} when the message is about the whole request);
    ``code`` is a stable machine-readable name (API clients branch on it, never on the
    translated message).

    ``field`` (class attribute or argument) names the one input field a plain message is
    about: ``ParticipantsInvalid("…")`` is ``fields={"participants": ["…"]}``. A ``fields`` key
    "__all__" (Django's name) becomes "non_field_errors"."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code: str = "invalid"
    default_message: str = MSG_INVALID  # a msgid: shown when the error was raised without a message
    field: str | None = None

    def __init__(
        self,
        message: Any = "",
        *,
        field: str | None = None,
        fields: Mapping[str, list[Any]] | None = None,
        code: str | None = None,
    ):
        if field is not None:
            self.field = field
        # Django's "__all__" (messages about the whole input) is DRF's "non_field_errors".
        field_messages = {
            (NON_FIELD if name == "__all__" else str(name)): [force_str(m) for m in msgs]
            for name, msgs in (fields or {}).items()
            if msgs
        }
        if not field_messages and self.field and message:
            field_messages = {self.field: [force_str(message)]}
        self.fields: dict[str, list[str]] = field_messages
        self.message: str = (
            force_str(message)
            or " ".join(m for msgs in field_messages.values() for m in msgs)
            or _(self.default_message)
        )
        self.code: str = code or self.default_code
        super().__init__(self.message)

    @property
    def messages(self) -> list[str]:
        """Every message to show: the field messages, or the message when there are none."""
        return [m for msgs in self.fields.values() for m in msgs] or [self.message]


class ValidationFailedError(AppError):
    """Bad input or a rule the input breaks (HTTP 400); usually with field messages."""


class NotFoundError(AppError, Http404):
    """The object does not exist or is outside what the user may see (HTTP 404)."""

    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_message = MSG_NOT_FOUND


class PermissionDeniedError(AppError, DjangoPermissionDenied):
    """The user may not do this (HTTP 403)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_message = MSG_PERMISSION_DENIED


class ConflictError(AppError):
    """The action collides with the current state: outdated, stale, already decided or
    already done (HTTP 409). Reloading shows why."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_message = MSG_CONFLICT


class PayloadTooLargeError(AppError):
    """The request body is larger than the server accepts (HTTP 413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_message = MSG_TOO_LARGE


def payload_too_large() -> PayloadTooLargeError:
    """The 413 for a body above DATA_UPLOAD_MAX_MEMORY_SIZE, naming the limit."""
    return PayloadTooLargeError(
        _(MSG_TOO_LARGE) % {"kb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024}
    )


class ThrottledError(AppError):
    """Too many attempts; try again later (HTTP 429)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"
    default_message = MSG_THROTTLED


# --- API ------------------------------------------------------------------------------------


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" / "answers.0.option": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            # A nested serializer's own messages belong to the nested field itself.
            name = str(key) if not prefix else prefix if key == NON_FIELD else f"{prefix}.{key}"
            for path, msgs in _flatten(value, name).items():
                out.setdefault(path, []).extend(msgs)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in detail):
            if detail:
                out.setdefault(prefix or NON_FIELD, []).extend(force_str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                for path, msgs in _flatten(
                    item, f"{prefix}.{index}" if prefix else str(index)
                ).items():
                    out.setdefault(path, []).extend(msgs)
    elif detail is not None:
        out.setdefault(prefix or NON_FIELD, []).append(force_str(detail))
    return out


def _summary(fields: dict[str, list[str]]) -> str:
    """One sentence for a set of field messages (the ``detail`` of a 400)."""
    parts = [
        msg if name == NON_FIELD else f"{name}: {msg}"
        for name, msgs in fields.items()
        for msg in msgs
    ]
    return " ".join(parts) or _(MSG_INVALID)


def error_body(
    *, detail: str, code: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The one JSON error shape (the ``Error`` schema component)."""
    body: dict[str, Any] = {"detail": detail, "code": code}
    if fields:
        body["fields"] = fields
    return body


def _django_validation_error(exc: DjangoValidationError) -> tuple[str, dict[str, list[str]]]:
    if hasattr(exc, "error_dict"):
        fields = {
            (NON_FIELD if name == "__all__" else name): msgs
            for name, msgs in exc.message_dict.items()
        }
        return _summary(fields), fields
    return " ".join(exc.messages), {}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error of every API view as
    {"detail", "code", "fields"?}. Anything else (a programming error) stays a 500."""
    headers: dict[str, str] = {}
    if isinstance(exc, RequestDataTooBig):
        # Since DRF 3.17.2 (CVE-2026-73228) request.data reads JSON and form bodies through
        # Django's request.body, which refuses one above DATA_UPLOAD_MAX_MEMORY_SIZE with
        # RequestDataTooBig before any parser runs; uncaught, that SuspiciousOperation was
        # Django's plain 400. It is the same 413 the parsers give (config/parsers.py).
        exc = payload_too_large()
    if isinstance(exc, AppError):
        code_status, body = (
            exc.status_code,
            error_body(detail=exc.message, code=exc.code, fields=exc.fields),
        )
    elif isinstance(exc, drf_exceptions.ValidationError):
        fields = _flatten(exc.detail)
        code_status = exc.status_code
        body = error_body(detail=_summary(fields), code="invalid", fields=fields)
    elif isinstance(exc, drf_exceptions.APIException):
        code_status = exc.status_code
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = exc.detail if isinstance(exc.detail, str) else _summary(_flatten(exc.detail))
        body = error_body(detail=force_str(detail), code=code)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        code_status, body = (
            status.HTTP_404_NOT_FOUND,
            error_body(detail=_(MSG_NOT_FOUND), code="not_found"),
        )
    elif isinstance(exc, DjangoPermissionDenied):
        message = force_str(exc.args[0]) if exc.args and exc.args[0] else _(MSG_PERMISSION_DENIED)
        code_status, body = (
            status.HTTP_403_FORBIDDEN,
            error_body(detail=message, code="permission_denied"),
        )
    elif isinstance(exc, DjangoValidationError):
        # Model/form validation reached an API view (e.g. a model's clean()): still bad input.
        detail, fields = _django_validation_error(exc)
        code_status, body = (
            status.HTTP_400_BAD_REQUEST,
            error_body(detail=detail, code="invalid", fields=fields),
        )
    else:
        return None
    set_rollback()
    return Response(body, status=code_status, headers=headers)


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer of the API: one human sentence, a stable code and, for bad "
    "input, the messages per input field (nested inputs as dotted paths, e.g. "
    '"answers.0.option"; messages about the whole input under "non_field_errors").',
    "properties": {
        "detail": {
            "type": "string",
            "description": "One sentence for a person, in the request's language.",
        },
        "code": {
            "type": "string",
            "description": 'Stable machine-readable code, e.g. "invalid", '
            '"not_found", "permission_denied", "conflict", "not_authenticated", "throttled".',
        },
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages per input field; only present when there are any.",
        },
    },
    "required": ["detail", "code"],
    "additionalProperties": False,
}

# The 4xx answers any operation may give (its own declared responses win).
ERROR_STATUSES: dict[str, str] = {
    "400": 'Bad input (field messages in "fields") or a rule refused the request.',
    "401": "No valid API token or session (WWW-Authenticate: Token).",
    "403": "The user's role or relation to the object does not allow this.",
    "404": "Not found, or not visible to the user.",
    "409": "Conflict with the current state: outdated, already decided or already done.",
    "415": "Unsupported media type.",
    "429": "Too many requests; retry after the Retry-After header.",
}


def error_responses_hook(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: the ``Error`` component, attached to the 4xx
    responses of every operation (so clients and the schema-conformance tests can check
    error answers too). Operations without authentication get no 401/403."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            anonymous = not operation.get("security") or {} in operation["security"]
            for code, description in ERROR_STATUSES.items():
                if (
                    (anonymous and code in {"401", "403"})
                    or (code == "409" and method == "get")
                    or (code == "415" and "requestBody" not in operation)
                ):
                    continue
                existing = responses.get(code)
                if existing is None or not existing.get("content"):
                    responses[code] = {
                        "description": description,
                        "content": {"application/json": {"schema": ref}},
                    }
    return result


def page_not_found(request, exception):
    """handler404: a URL under /api/ that matches no route (e.g. /api/cases/study/abc/) answers
    in the API's error shape; pages keep the 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(detail=_(MSG_NOT_FOUND), code="not_found"), status=status.HTTP_404_NOT_FOUND
        )
    return defaults.page_not_found(request, exception)


# --- web views --------------------------------------------------------------------------------


def _reraise_refusals(exc: AppError) -> None:
    # Not found / not allowed are pages of their own (404.html / 403.html), not a message.
    if isinstance(exc, Http404 | DjangoPermissionDenied):
        raise exc


def form_error(form, exc: AppError) -> None:
    """Show a domain error on a Django form: each field message on its field when the form
    has that field, everything else as a non-field error. A NotFoundError or
    PermissionDeniedError is raised again (the 404 / 403 page)."""
    _reraise_refusals(exc)
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for name, msgs in exc.fields.items():
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


def message_error(request, exc: AppError) -> None:
    """Show a domain error as a page message (views that redirect after a POST). A
    NotFoundError or PermissionDeniedError is raised again (the 404 / 403 page)."""
    _reraise_refusals(exc)
    messages.error(request, exc.message)


class AppErrorMiddleware:
    """Last line of defence for web pages: a domain error no view handled answers with its
    status (400/409/429) and message instead of a 500. (404/403 are Django's own pages: the
    error classes are Http404 / PermissionDenied.) API views never get here: DRF's handler
    answers them first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, AppError) or isinstance(
            exception, Http404 | DjangoPermissionDenied
        ):
            return None
        return render(
            request,
            "error.html",
            {"message": exception.message, "error": exception},
            status=exception.status_code,
        )
