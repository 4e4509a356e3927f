import pytest

from accounts.tests.factories import UserFactory
from curriculum.models import StageLevel
from curriculum.tests.factories import (
    CourseFactory,
    LearningMapFactory,
    MapCourseFactory,
    MapStageFactory,
    MapTopicFactory,
    PositionFactory,
)


@pytest.fixture
def learning_map(db):
    """A family map: 初级 with 3 courses (two topics), 中级 with 2, 高级 with 1."""
    position = PositionFactory()
    lmap = LearningMapFactory(position_family=position.family)
    stages, courses = {}, {}
    layout = [
        (StageLevel.JUNIOR, "初级", [["J1", "J2"], ["J3"]]),
        (StageLevel.INTERMEDIATE, "中级", [["I1", "I2"]]),
        (StageLevel.SENIOR, "高级", [["S1"]]),
    ]
    for order, (level, name, topics) in enumerate(layout, start=1):
        stages[level] = MapStageFactory(learning_map=lmap, level=level, name=name, order=order)
        for codes in topics:
            map_topic = MapTopicFactory(stage=stages[level])
            for code in codes:
                courses[code] = CourseFactory(code=code, title=f"课程{code}")
                MapCourseFactory(map_topic=map_topic, course=courses[code])
    lmap.position = position
    lmap.courses = courses
    lmap.stage_by_level = stages
    return lmap


@pytest.fixture
def learner(db, learning_map):
    """A CSR whose position's family has ``learning_map``."""
    return UserFactory(
        staff_id="CSR100", name="学员小李", roles=["CSR"], position=learning_map.position
    )


@pytest.fixture
def leader_of(db):
    def make(employee):
        return UserFactory(
            staff_id=f"TL{employee.pk}",
            roles=["Team leader", "CSR"],
            centre=employee.centre,
            team=employee.team,
        )

    return make
