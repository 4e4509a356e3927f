"""The API's body parsers.

- Every endpoint takes a JSON object, so a body that is a list, a string, a number or null is
  refused once, here, as a 400 in the one error shape — rather than reaching a view that
  expects named fields (where a list was a 500, and null quietly became an empty object).
- Before DRF 3.17.2 its JSON and form parsers read the request stream directly, so Django's
  DATA_UPLOAD_MAX_MEMORY_SIZE (enforced only by ``request.body`` and Django's multipart
  parser) never applied to them: a 200 MB JSON body was read into memory whole. They read
  at most that many bytes here and refuse a larger body with 413 (PayloadTooLargeError).
  Since 3.17.2 (CVE-2026-73228) DRF hands them ``io.BytesIO(request.body)`` instead, so
  Django refuses a body over the limit with RequestDataTooBig before these parsers run;
  ``api_exception_handler`` answers that with the same 413 (the checks here stay for a
  parser given a raw stream).
  File uploads (multipart) keep Django's own limits and the recording upload middleware;
  Django's multipart parser refuses what is over them with a SuspiciousOperation, which
  reached API clients as Django's HTML 400 page: LimitedMultiPartParser answers in the one
  error shape instead (413 for text fields above the limit, 400 for too many fields/files).
"""

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

MSG_NOT_AN_OBJECT = _("The JSON body must be an object with named fields.")
MSG_TOO_MANY_PARTS = _("The request has too many fields or files.")


def _too_large():
    # Imported here: config.errors imports rest_framework.views, which imports these parsers.
    from config.errors import payload_too_large

    return payload_too_large()


def content_length(request) -> int:
    """The request's declared Content-Length (0 when missing or not a number)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def read_limited(stream) -> io.BytesIO:
    """The body, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (PayloadTooLargeError beyond;
    no limit when the setting is None, as in Django)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if stream is None:
        return io.BytesIO(b"")
    data = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise _too_large()
    return io.BytesIO(data)


def _refuse_by_length(parser_context) -> None:
    request = (parser_context or {}).get("request")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and request is not None and content_length(request) > limit:
        raise _too_large()  # refused before reading a byte


class ObjectJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _refuse_by_length(parser_context)
        data = super().parse(read_limited(stream), media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(MSG_NOT_AN_OBJECT)
        return data


class LimitedFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _refuse_by_length(parser_context)
        return super().parse(read_limited(stream), media_type, parser_context)


class LimitedMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RequestDataTooBig:
            raise _too_large() from None
        except (TooManyFieldsSent, TooManyFilesSent):
            raise ParseError(MSG_TOO_MANY_PARTS) from None
