from datetime import date

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.levels import MAX_LEVEL, MIN_LEVEL
from accounts.roles import Role


class Centre(models.Model):
    """A contact centre (客服中心); several centres share one system."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A team (班组) inside one centre."""

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="teams", verbose_name=_("centre")
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["centre__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="team_unique_name_per_centre")
        ]

    def __str__(self) -> str:
        return f"{self.centre.name} / {self.name}"


class PositionFamily(models.Model):
    """A family of related positions (岗位族), e.g. hotline service, complaint handling.

    Organisation structure like centres and teams (imported with employees by HR); the
    competency app attaches its models to positions. The table keeps its first name.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        db_table = "competency_positionfamily"
        verbose_name = _("position family")
        verbose_name_plural = _("position families")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Position(models.Model):
    """A position (岗位) an employee holds; competency attaches its competency model to it."""

    family = models.ForeignKey(
        PositionFamily, on_delete=models.PROTECT, related_name="positions", verbose_name=_("family")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        db_table = "competency_position"
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["family__code", "code"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, staff_id: str, password: str | None, **extra):
        if not staff_id:
            raise ValueError("A staff ID is required.")
        extra.setdefault("is_active", True)
        user = self.model(staff_id=staff_id.strip().upper(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, staff_id: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(staff_id, password, **extra)

    def create_superuser(self, staff_id: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(staff_id, password, **extra)

    def get_by_natural_key(self, username):
        # Staff IDs are stored upper-case; people type them any way.
        return self.get(**{self.model.USERNAME_FIELD: (username or "").strip().upper()})


class User(AbstractBaseUser, PermissionsMixin):
    """An employee. Logs in with the staff ID (工号); e-mail is optional.

    The "O" of KSAO (education, years of service, performance rating) lives here.
    ``level`` is the current ladder level 0–5; it changes only through the promotion
    services, which write an event for every change.
    """

    class Education(models.TextChoices):
        HIGH_SCHOOL = "high_school", _("High school")
        JUNIOR_COLLEGE = "junior_college", _("Junior college")
        BACHELOR = "bachelor", _("Bachelor")
        MASTER = "master", _("Master or above")

    class PerformanceRating(models.TextChoices):
        A = "A", _("A – outstanding")
        B = "B", _("B – good")
        C = "C", _("C – meets expectations")
        D = "D", _("D – needs improvement")

    staff_id = models.CharField(
        _("staff ID"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9_-]+$", _("Use letters, digits, '-' or '_' only."))],
        help_text=_("Employee number used to log in. Stored upper-case."),
    )
    name = models.CharField(_("name"), max_length=64)
    email = models.EmailField(_("e-mail"), blank=True)
    centre = models.ForeignKey(
        Centre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="employees",
        verbose_name=_("centre"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )
    position = models.ForeignKey(
        Position,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employees",
        verbose_name=_("position"),
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(
        _("level"), default=0, validators=[MaxValueValidator(MAX_LEVEL)], db_index=True
    )
    education = models.CharField(
        _("education"), max_length=20, choices=Education.choices, blank=True
    )
    performance_rating = models.CharField(
        _("performance rating"), max_length=1, choices=PerformanceRating.choices, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("admin site access"), default=False, help_text=_("Can log in to the Django admin.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    password_changed_at = models.DateTimeField(
        _("password changed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("API tokens issued before this moment are refused (accounts.auth)."),
    )

    objects = UserManager()

    USERNAME_FIELD = "staff_id"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["staff_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=MIN_LEVEL) & Q(level__lte=MAX_LEVEL),
                name="user_level_0_to_5",
            ),
        ]
        permissions = [
            ("study", _("Can study, search the knowledge base and sit exams")),
            ("review", _("Can review proposals as a committee member")),
            ("manage_training", _("Can manage the competency model and curriculum")),
            ("view_employees", _("Can view the employee directory")),
            ("export_rosters", _("Can export promotion rosters")),
            ("manage_operations", _("Can manage operations and the review committee")),
            ("rate_behaviour", _("Can rate observed behaviour of team members (supervisor)")),
            ("import_employees", _("Can import employees from the HR system's file")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.staff_id})"

    def clean(self):
        super().clean()
        self.staff_id = (self.staff_id or "").strip().upper()
        if self.team_id and self.centre_id and self.team.centre_id != self.centre_id:
            raise ValidationError({"team": _("The team belongs to another centre.")})

    def set_password(self, raw_password) -> None:
        """Every way of changing a password (reset, change, admin, manage.py) ends here:
        remember when, so API tokens issued before it stop working."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self.password_changed_at = timezone.now()

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name

    def years_of_service(self, on: date | None = None) -> float | None:
        """Whole-and-fractional years since ``hire_date`` up to ``on`` (default today,
        Asia/Shanghai); None when the hire date is unknown."""
        if self.hire_date is None:
            return None
        on = on or timezone.localdate()
        return round(max((on - self.hire_date).days, 0) / 365.25, 1)

    @property
    def role_names(self) -> list[str]:
        """The role (group) names as stored: identifiers for the API."""
        return sorted(g.name for g in self.groups.all())

    @property
    def role_labels(self) -> list[str]:
        """The roles in the current language (a group a site added itself keeps its name)."""
        labels = {value: label for value, label in Role.choices}
        return sorted(str(labels.get(name, name)) for name in self.role_names)


class OnboardingProgress(models.Model):
    """How far one employee got through the first-day tour (accounts.onboarding): read the
    getting-started page, practised a KB revision and a case in the sandbox. Each step keeps
    the moment it was first done; ``completed_at`` is set once all three are done (the home
    page checklist is hidden from then on). Written only by accounts.onboarding for the
    employee themself."""

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        related_name="onboarding",
        verbose_name=_("employee"),
    )
    read_guide_at = models.DateTimeField(_("read getting started"), null=True, blank=True)
    practised_kb_at = models.DateTimeField(_("practised a KB revision"), null=True, blank=True)
    practised_case_at = models.DateTimeField(_("practised a case"), null=True, blank=True)
    completed_at = models.DateTimeField(_("tour completed"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("onboarding progress")
        verbose_name_plural = _("onboarding progress")
        ordering = ["user__staff_id"]

    def __str__(self) -> str:
        return str(self.user)
