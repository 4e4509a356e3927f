"""curriculum's part of the home page (accounts.home): the next course of the CSR's learning
map (curriculum.selectors.map_progress), the training manager's panel and the team leader's
"my team" panel. Registered from CurriculumConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from accounts import roles
from accounts.home import CsrSection, HomePanel, register_csr_section, register_panel
from curriculum import selectors as curriculum_selectors


def next_course(employee) -> curriculum_selectors.CourseProgress | None:
    """The first course of the employee's learning map, in map order, that is neither done
    nor locked behind an earlier stage (in progress, not started or newly added); None
    without a map or when everything open is done."""
    learning_map = curriculum_selectors.learning_map_for_employee(employee, cached=True)
    if learning_map is None:
        return None
    progress = curriculum_selectors.map_progress(employee=employee, learning_map=learning_map)
    for stage in progress.stages:
        for topic in stage.topics:
            for course in topic.courses:
                if course.state not in (curriculum_selectors.DONE, curriculum_selectors.LOCKED):
                    return course
    return None


def csr_course_section(user, now: datetime) -> dict:
    return {"next_course": next_course(user)}


def training_panel(user):
    """The training manager's panel (curriculum.selectors.training_dashboard)."""
    return curriculum_selectors.training_dashboard()


def register() -> None:
    register_csr_section(CsrSection(name="curriculum", order=30, read=csr_course_section))
    register_panel(
        HomePanel(
            name="training",
            order=30,
            permission=roles.MANAGE_TRAINING,
            template="accounts/home/_training.html",
            read=training_panel,
        )
    )
    register_panel(
        HomePanel(
            name="team",
            order=70,
            permission=roles.RATE_BEHAVIOUR,
            template="accounts/home/_team.html",
        )
    )
