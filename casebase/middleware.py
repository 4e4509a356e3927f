"""Refuse a recording upload that is too big by its Content-Length, before its body is read."""

from django.contrib import messages
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from config.errors import error_body
from config.parsers import content_length

# The endpoints that take a recording upload (URL names, with their namespace).
UPLOAD_URL_NAMES = frozenset(
    {
        "casebase:propose_voice",
        "casebase:revise",
        "api-cases-voice-proposals",
        "admin:casebase_case_add",
        "admin:casebase_case_change",
        "casebase:maintain_new_voice",
        "casebase:maintain_edit",
        "api-cases-catalogue-voice",
        "api-cases-catalogue-revise",
    }
)
# Room for the form's other fields and the multipart framing around the file.
FORM_MARGIN_BYTES = 1024 * 1024
MSG_TOO_LARGE = (
    "The recording is larger than %(mb).1f MB."  # casebase.services.audio.audio_validate's msgid
)


def upload_limit_bytes() -> int:
    """The largest request body a recording upload may have: the admin-editable
    CaseLibrarySettings.audio_max_bytes plus FORM_MARGIN_BYTES."""
    from casebase.models import CaseLibrarySettings

    return CaseLibrarySettings.current().audio_max_bytes + FORM_MARGIN_BYTES


class UploadSizeLimitMiddleware:
    """A POST/PUT to a recording upload endpoint whose Content-Length is above
    upload_limit_bytes() is answered 413 at once, without reading the body (a 200 MB upload
    is never streamed to a temporary file only to be refused at 20 MB): the API with the one
    error shape (field "audio"), pages with the upload form again (rendered as for a GET) and
    the message, status 413. Sits after the session, auth and message middleware (the page
    needs them) and before any view reads the body (CSRF reads it in process_view, after
    every __call__)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The cheap test first: a body under the form margin is never refused, so ordinary
        # POSTs cost no URL resolution and no settings read here.
        if request.method in ("POST", "PUT", "PATCH"):
            length = content_length(request)
            if length > FORM_MARGIN_BYTES and self._is_upload(request):
                limit = upload_limit_bytes()
                if length > limit:
                    return self._refuse(request, limit - FORM_MARGIN_BYTES)
        return self.get_response(request)

    @staticmethod
    def _is_upload(request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in UPLOAD_URL_NAMES

    def _refuse(self, request, max_bytes: int):
        message = _(MSG_TOO_LARGE) % {"mb": max_bytes / 1024 / 1024}
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                error_body(detail=message, code="too_large", fields={"audio": [message]}),
                status=413,
            )
        # The page again, as for a GET (the body, CSRF token included, is never read), with the
        # message: nothing is changed by this request.
        request.method = "GET"
        request.META["REQUEST_METHOD"] = "GET"
        request.upload_refused = message
        messages.error(request, message)
        response = self.get_response(request)
        response.status_code = 413
        return response
