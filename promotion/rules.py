"""Who may see an exam attempt in full, with its answers (named predicates, see
accounts/rules.py). The object is a promotion.ExamAttempt."""

import rules

from accounts.rules import allowed, holds, register
from casebase.rules import SEE_TEST_CONTENT
from promotion.models import VIEW_EXAM_ANSWERS, ExamAttempt

# Training managers and the review committee (promotion.view_exam_answers), never for their
# own attempt nor a running one (its answers could be passed on), and — when they sit exams
# themselves — only for levels whose test content they may see (casebase.see_test_content).
VIEW_ATTEMPT_IN_FULL = "promotion.view_attempt_in_full"


@rules.predicate
def is_own_attempt(user, attempt) -> bool:
    return attempt.employee_id == user.pk


@rules.predicate
def is_running(user, attempt) -> bool:
    return attempt.status == ExamAttempt.Status.OPEN


@rules.predicate
def sees_attempt_level(user, attempt) -> bool:
    return allowed(SEE_TEST_CONTENT, user, attempt.level)


register(
    VIEW_ATTEMPT_IN_FULL,
    holds(VIEW_EXAM_ANSWERS) & ~is_own_attempt & ~is_running & sees_attempt_level,
)
