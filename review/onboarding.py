"""review's part of the getting-started guide (accounts.onboarding): the committee's
settings (approvals needed, who may apply). Registered from ReviewConfig.ready()."""

from typing import Any

from accounts.onboarding import register_guide_part
from review.models import ReviewSettings


def guide_part() -> dict[str, Any]:
    return {"review": ReviewSettings.current()}


def register() -> None:
    register_guide_part("review", guide_part)
