import datetime as dt

import factory

from competency.tests.factories import (  # noqa: F401 - re-exported for curriculum tests
    CompetencyItemFactory,
    CompetencyModuleFactory,
    PositionCompetencyFactory,
    PositionFactory,
    PositionFamilyFactory,
)
from curriculum.models import (
    BehaviourRating,
    CallStep,
    Course,
    CourseRun,
    Enrolment,
    LearningMap,
    MapCourse,
    MapStage,
    MapTopic,
    Option,
    Question,
    StageLevel,
    SurveyResponse,
    Topic,
)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T{n:03d}")
    title = factory.Sequence(lambda n: f"课程{n}")
    exam_question_count = 5
    pass_mark_percent = 60

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if create and extracted:
            self.competency_items.set(extracted)


class CourseRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseRun

    course = factory.SubFactory(CourseFactory)
    name = factory.Sequence(lambda n: f"第{n}期")
    starts_on = dt.date(2026, 3, 1)
    ends_on = dt.date(2026, 3, 31)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"主题{n}")


class LearningMapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningMap

    position_family = factory.SubFactory(PositionFamilyFactory)
    name = "学习地图"


class MapStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MapStage

    learning_map = factory.SubFactory(LearningMapFactory)
    level = StageLevel.JUNIOR
    name = "初级"
    order = 1


class MapTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MapTopic

    stage = factory.SubFactory(MapStageFactory)
    topic = factory.SubFactory(TopicFactory)
    order = factory.Sequence(int)


class MapCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MapCourse

    map_topic = factory.SubFactory(MapTopicFactory)
    course = factory.SubFactory(CourseFactory)
    order = factory.Sequence(int)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    course = factory.SubFactory(CourseFactory)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    course = factory.SubFactory(CourseFactory)
    content_score = 4
    format_score = 4
    usefulness_score = 4


class QuestionFactory(factory.django.DjangoModelFactory):
    """A question with options; pass options=[("text", True), ...] (default: 1 right of 3)."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    course = factory.SubFactory(CourseFactory)
    text = factory.Sequence(lambda n: f"问题{n}?")
    kind = Question.Kind.SINGLE

    @factory.post_generation
    def options(self, create, extracted, **kwargs):
        if not create:
            return
        spec = extracted or [("正确答案", True), ("错误答案一", False), ("错误答案二", False)]
        for i, (text, ok) in enumerate(spec):
            Option.objects.create(question=self, text=text, is_correct=ok, order=i)


class BehaviourRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BehaviourRating

    item = factory.SubFactory(CompetencyItemFactory)
    phase = BehaviourRating.Phase.BEFORE
    score = 3
    observed_on = dt.date(2026, 1, 10)


def call_step(code: str) -> CallStep:
    return CallStep.objects.get(code=code)
