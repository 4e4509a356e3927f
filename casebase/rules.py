"""Who may see what TEST cases hold (named predicates, see accounts/rules.py)."""

import rules

from accounts import roles
from accounts.rules import holds, register

# obj: a level number. True when ``user`` may see what that level's TEST cases hold (an
# exam's keys): anyone who sits no exams (no accounts.study permission), and an examinee only
# below their own level — a level they will never be examined on again (their promotion
# exam is above it, their retention re-test at it). The catalogue, the history library,
# recordings and the exam's full view (promotion) follow it; as a query on a level column it
# is casebase.selectors.test_content_levels_q.
SEE_TEST_CONTENT = "casebase.see_test_content"

sits_exams = holds(roles.STUDY)


@rules.predicate
def below_own_level(user, level) -> bool:
    return level is not None and level < (user.level or 0)


register(SEE_TEST_CONTENT, ~sits_exams | below_own_level)
