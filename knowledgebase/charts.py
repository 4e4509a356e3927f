"""The knowledge-work page's chart, drawn by templates/charts/chart.html like every chart."""

from django.utils.text import Truncator
from django.utils.translation import gettext as _

from config import charts
from config.charts import Chart

CAPTION_CHARS = 5  # a column's caption: the query's first characters (the table names it in full)


def misses_chart(misses) -> Chart | None:
    """A column per search miss (rows of knowledgebase.selectors.search_misses, most frequent
    first): its number of searches above it, the query, shortened, under it; None without
    misses."""
    return charts.columns(
        [(Truncator(miss["query"]).chars(CAPTION_CHARS), miss["count"]) for miss in misses],
        label=_("Searches that found nothing, most frequent first"),
        width=640,
    )
