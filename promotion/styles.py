"""/styles/levels.css: the data-driven colours (level badges, certificates, medals) as a
stylesheet, because the Content-Security-Policy allows no inline style attributes."""

import hashlib
import re

from django.http import HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET

from promotion.models import Level, Medal

COLOUR = re.compile(
    r"^#[0-9a-fA-F]{6}$"
)  # the models' validator; rows written around it are skipped


def levels_css() -> str:
    """CSS rules for every level's badge, certificate border, chart dots (the item
    statistics scatter) and chart fills (the workforce columns and their legend) and every medal's
    colour."""
    rules = []
    for level in Level.objects.order_by("number"):
        if COLOUR.match(level.badge_colour or ""):
            rules.append(
                f".level-badge.level-{level.number} {{ background:{level.badge_colour}; "
                f"color:{level.badge_text_colour()}; }}"
            )
            rules.append(
                f".certificate.level-{level.number} {{ border-color:{level.badge_colour}; }}"
            )
            rules.append(f".level-dot.level-{level.number} {{ fill:{level.badge_colour}; }}")
            rules.append(f".level-fill.level-{level.number} {{ fill:{level.badge_colour}; }}")
    for medal in Medal.objects.order_by("pk"):
        if COLOUR.match(medal.colour or ""):
            rules.append(f".medal-{medal.pk} {{ color:{medal.colour}; }}")
    return "\n".join(rules) + "\n"


@require_GET
def levels_stylesheet(request):
    """Cached for five minutes, revalidated by ETag (colours change rarely, in admin)."""
    css = levels_css()
    etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:20] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=300"
    return response
