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


AGE_CLASSES = ("bar", "bar-warn", "bar-down")  # under 7 days, 7 to 30 days, over 30 days
LABEL_CHARS = 12  # a row's category name, shortened (the list names it in full)


def stale_chart(counts) -> Chart | None:
    """A horizontal bar per category of the open stale flags (rows of
    knowledgebase.selectors.stale_counts, in their order): the category, whether its items are
    cases or query-time-test tasks, and one segment per age band, the longest bar full width,
    with the total after it and a legend of the bands on top; None without flags."""
    if not counts:
        return None
    row_h, legend_h, label_w, value_w, width = 22, 24, 190, 40, 640
    track = width - label_w - value_w
    top = charts.top_of(row.total for row in counts)
    bands = (_("under 7 days"), _("7 to 30 days"), _("over 30 days"))
    kinds = {"case": _("case"), "query_task": _("query task")}
    height = legend_h + row_h * len(counts) + 6
    chart = Chart(
        width=width, height=height, label=_("Open stale items per category and waiting time")
    )
    for i, (band, cls) in enumerate(zip(bands, AGE_CLASSES, strict=True)):
        x = label_w + i * 130
        chart.rect(x, 7, 10, 10, cls=cls)
        chart.text(x + 14, 16, band, cls="label tick")
    for i, row in enumerate(counts):
        y = legend_h + i * row_h
        name = f"{Truncator(row.category).chars(LABEL_CHARS)} · {kinds[row.kind]}"
        chart.text(label_w - 6, y + 15, name, cls="label", anchor="end")
        x = label_w
        for count, band, cls in zip(row.ages, bands, AGE_CLASSES, strict=True):
            if not count:
                continue
            size = charts.length(count, top, track)
            chart.rect(
                x, y + 3, size, row_h - 6, cls=cls, title=f"{row.category} ({band}): {count}"
            )
            x = round(x + size, 1)
        chart.text(round(x + 4, 1), y + 15, row.total, cls="label tick")
    chart.line(label_w, legend_h, label_w, height)
    return chart
