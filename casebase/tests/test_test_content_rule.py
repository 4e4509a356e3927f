"""Seeing a level's test content is one named rule (casebase.see_test_content); its query form
(test_content_levels_q, the catalogue and the exam attempts list) agrees with it everywhere."""

import pytest

from accounts.rules import allowed
from accounts.tests.factories import UserFactory
from casebase.models import Case
from casebase.rules import SEE_TEST_CONTENT
from casebase.selectors import catalogue_cases
from casebase.tests.factories import seed_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "roles, level",
    [
        (["CSR"], 0),
        (["CSR", "Reviewer"], 3),
        (["CSR"], 5),
        (["Training manager"], 0),
        (["Operations manager"], 2),
    ],
)
def test_the_rule_and_the_catalogue_agree_on_every_level(roles, level):
    # given one test case per case level and a user of ``level``
    for n in range(1, 6):
        seed_case(n, level=n, split=Case.Split.TEST)
    user = UserFactory(roles=roles, level=level)
    # then the catalogue holds exactly the test cases of the levels the rule allows
    shown = set(catalogue_cases(user).filter(split=Case.Split.TEST).values_list("level", flat=True))
    assert shown == {n for n in range(1, 6) if allowed(SEE_TEST_CONTENT, user, n)}
    sits_exams = "CSR" in roles
    assert shown == ({n for n in range(1, 6) if n < level} if sits_exams else {1, 2, 3, 4, 5})
