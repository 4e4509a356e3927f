"""The conversation of a text case is rendered once per case version and turn and reused for
every reader: a reload reads no tree, and a new version of the case (every content write
raises it, casebase.services._write_content) shows at once."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casebase.models import Case, CaseNode
from casebase.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_reload_reads_no_tree_and_shows_the_same_conversation(client, csr):
    case = CaseFactory(level=1)
    client.force_login(csr)
    url = reverse("casebase:case_detail", args=[case.pk])
    first = client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url).content.decode()
    assert "我的话费怎么多扣了50元？" in first and "我的话费怎么多扣了50元？" in again
    assert not [q for q in queries if "casebase_casenode" in q["sql"]]


def test_a_new_version_of_the_case_shows_at_once_and_other_readers_share_the_page(client, csr):
    case = CaseFactory(level=1)
    client.force_login(csr)
    url = reverse("casebase:case_detail", args=[case.pk])
    assert "我的话费怎么多扣了50元？" in client.get(url).content.decode()
    # the one content writer changes the tree and raises the version together
    CaseNode.objects.filter(case=case, text="我的话费怎么多扣了50元？").update(
        text="我的流量怎么超了？"
    )
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    page = client.get(url).content.decode()
    assert "我的流量怎么超了？" in page and "我的话费怎么多扣了50元？" not in page


def test_a_turn_that_does_not_exist_stays_a_404_after_the_start_was_cached(client, csr):
    case = CaseFactory(level=1)
    client.force_login(csr)
    url = reverse("casebase:case_detail", args=[case.pk])
    client.get(url)
    assert client.get(url, {"node": 999999}).status_code == 404
    assert client.get(url, {"node": 999999}).status_code == 404
