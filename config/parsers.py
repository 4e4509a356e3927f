"""The API's JSON parser: every endpoint takes a JSON object, so a body that is a list, a
string, a number or null is refused once, here, as a 400 in the one error shape — rather
than reaching a view that expects named fields (where a list was a 500, and null quietly
became an empty object)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MSG_NOT_AN_OBJECT = _("The JSON body must be an object with named fields.")


class ObjectJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(MSG_NOT_AN_OBJECT)
        return data
