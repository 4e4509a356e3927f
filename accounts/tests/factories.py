import factory
from django.contrib.auth.models import Group

from accounts.models import Centre, Position, PositionFamily, Team, User

PASSWORD = "correct-horse-battery"


class PositionFamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PositionFamily
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"family-{n}")
    name = factory.Sequence(lambda n: f"岗位族{n}")


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position
        django_get_or_create = ("code",)

    family = factory.SubFactory(PositionFamilyFactory)
    code = factory.Sequence(lambda n: f"position-{n}")
    name = factory.Sequence(lambda n: f"岗位{n}")


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"centre-{n}")
    name = factory.Sequence(lambda n: f"客服中心{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    centre = factory.SubFactory(CentreFactory)
    name = factory.Sequence(lambda n: f"服务{n}班")


class UserFactory(factory.django.DjangoModelFactory):
    """An employee; pass roles=["CSR", "Reviewer"] to put them in those groups."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    staff_id = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    centre = factory.SubFactory(CentreFactory)
    team = factory.SubFactory(TeamFactory, centre=factory.SelfAttribute("..centre"))
    level = 0
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        if create:
            self.save()
