from types import SimpleNamespace

import pytest

from review.registry import describe_by_title


@pytest.mark.parametrize(
    "base_version, expected",
    [(None, "携号转网办理条件"), (3, "携号转网办理条件 (v3)")],
)
def test_proposals_are_described_by_title_with_the_version_they_change(base_version, expected):
    proposal = SimpleNamespace(payload={"title": "携号转网办理条件"}, base_version=base_version)
    assert describe_by_title(proposal) == expected
