"""Which language a page is in.

The product's language is settings.LANGUAGE_CODE (Simplified Chinese for a Chinese centre,
env LANGUAGE_CODE changes it). A person's own choice (the language switch, kept in the
language cookie) overrides it; the browser's Accept-Language does not, unless
LANGUAGE_FOLLOWS_BROWSER is on: an agent's browser is often English even where the team
works in Chinese. API calls are programs that ask for a language explicitly, so
Accept-Language is honoured there.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import trans_real


def language_for(request) -> str:
    """The language code for this request: the cookie's valid choice, else (for the API or
    with LANGUAGE_FOLLOWS_BROWSER) the Accept-Language header, else settings.LANGUAGE_CODE."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        try:
            return translation.get_supported_language_variant(chosen)
        except LookupError:
            pass
    if getattr(settings, "LANGUAGE_FOLLOWS_BROWSER", False) or request.path_info.startswith(
        "/api/"
    ):
        return translation.get_language_from_request(request)
    return trans_real.get_supported_language_variant(settings.LANGUAGE_CODE)


class ChosenLanguageMiddleware(LocaleMiddleware):
    """LocaleMiddleware that takes the language from language_for() (no i18n URL prefixes)."""

    def process_request(self, request):
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
