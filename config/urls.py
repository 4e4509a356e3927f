from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from config.health import healthz
from promotion.styles import levels_stylesheet

# The admin login goes through allauth too, so it shares the staff-ID login and its rate limits.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("Contact-centre training administration")
admin.site.site_title = _("Training admin")

_swagger = SpectacularSwaggerSplitView.as_view(url_name="api-schema")


def api_docs(request, *args, **kwargs):
    """The API docs are a page for a person: logged out (no session, no token), they are sent to
    the login page instead of a bare 403; a token in the Authorization header is checked by
    the view itself."""
    if not request.user.is_authenticated and "HTTP_AUTHORIZATION" not in request.META:
        return redirect_to_login(request.get_full_path())
    return _swagger(request, *args, **kwargs)


def favicon(request):
    # static() at request time: the production manifest (hashed names) is read when it exists.
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", favicon, name="favicon"),
    path("styles/levels.css", levels_stylesheet, name="theme_css"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("people/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("accounts.api_urls")),
    path("competency/", include("competency.urls")),
    path("api/competency/", include("competency.api_urls")),
    path("curriculum/", include("curriculum.urls")),
    path("api/curriculum/", include("curriculum.api_urls")),
    path("kb/", include("knowledgebase.urls")),
    path("api/kb/", include("knowledgebase.api_urls")),
    path("review/", include("review.urls")),
    path("api/review/", include("review.api_urls")),
    path("points/", include("points.urls")),
    path("api/points/", include("points.api_urls")),
    path("cases/", include("casebase.urls")),
    path("api/cases/", include("casebase.api_urls")),
    path("promotion/", include("promotion.urls")),
    path("api/promotion/", include("promotion.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, as the CSP requires.
    # A person (not a program) opens the docs: logged out, they are sent to the login page.
    path("api/docs/", api_docs, name="api-docs"),
]

handler404 = "config.errors.page_not_found"
# No /media/ route, not even with DEBUG: the only stored uploads are case recordings, heard
# through casebase.views.recording, which checks who may hear them (DOMAIN: test cases).
