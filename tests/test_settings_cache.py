"""Settings rows come from the cache, and every ORM write shows at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casebase.models import CaseLibrarySettings
from promotion.models import PromotionSettings

pytestmark = pytest.mark.django_db


def test_a_settings_row_is_read_once_then_from_the_cache():
    CaseLibrarySettings.current()
    with CaptureQueriesContext(connection) as queries:
        assert CaseLibrarySettings.current().default_cap == 120
    assert len(queries) == 0


def test_save_update_and_delete_show_at_once():
    row = CaseLibrarySettings.current()
    row.default_cap = 130
    row.save()
    assert CaseLibrarySettings.current().default_cap == 130
    CaseLibrarySettings.objects.filter(pk=1).update(default_cap=140)
    assert CaseLibrarySettings.current().default_cap == 140
    CaseLibrarySettings.objects.all().delete()
    assert CaseLibrarySettings.current().default_cap == 120  # recreated with the defaults


def test_each_settings_model_has_its_own_cached_row():
    assert CaseLibrarySettings.current().pk == PromotionSettings.current().pk == 1
    assert isinstance(PromotionSettings.current(), PromotionSettings)
    assert isinstance(CaseLibrarySettings.current(), CaseLibrarySettings)
