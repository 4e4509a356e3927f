"""The 0–5 level ladder's bounds (DOMAIN.md §6): the one home of "levels run from 0 to 5".

It lives in accounts, the bottom of the app graph, because ``accounts.User.level`` needs it
and every other app (casebase, promotion, review, the demo) already depends on accounts.
What a level *allows* is data (promotion.Level, review.ReviewSettings); only the bounds are
code, since a database constraint on User.level is built from them.
"""

from django.core.validators import MaxValueValidator, MinValueValidator

MIN_LEVEL = 0  # every new CSR starts here
MAX_LEVEL = 5  # the top of the ladder
# Cases are graded into the levels one can be promoted *to*: 1..MAX_LEVEL.
MIN_CASE_LEVEL = MIN_LEVEL + 1
LEVELS = range(MIN_LEVEL, MAX_LEVEL + 1)
CASE_LEVELS = range(MIN_CASE_LEVEL, MAX_LEVEL + 1)
LEVEL_VALIDATORS = [MinValueValidator(MIN_LEVEL), MaxValueValidator(MAX_LEVEL)]


def level_choices() -> list[tuple[int, str]]:
    """(number, label) for every level of the ladder, 0 first."""
    return [(n, str(n)) for n in LEVELS]
