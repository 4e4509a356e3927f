"""config.urlfill.url_filler: the links of a list from one reverse()."""

from django.urls import reverse

from config.urlfill import ID_SLOT, url_filler


def test_the_same_links_as_reverse_for_every_id():
    course = url_filler("curriculum:course_detail")
    click = url_filler("knowledgebase:search_click", 12)
    for pk in (1, 7, 40, ID_SLOT + 1, 10**12):
        assert course(pk) == reverse("curriculum:course_detail", args=[pk])
        assert click(pk) == reverse("knowledgebase:search_click", args=[12, pk])
