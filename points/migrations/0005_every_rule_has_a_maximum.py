"""Every point rule has a maximum, and every amount lies within ±100,000 (AMOUNT_LIMIT).

The seeded rules that had no maximum get one (only where an admin left it empty): a QC
topic 200 per member and a manual correction ±200 (the largest single award of DOMAIN §5,
a mentor's or a feasible proposal's), a volunteer-sheet row 50 (one person's help on one day
is worth at most an accepted new case). A maximum is never set below the rule's own minimum
or default. Bounds beyond ±100,000 are clamped.

Volunteer sheets are recognised by their rows: each imported sheet gets the fingerprint of
its rows (staff ID, date, hours, points, sorted). Should two earlier sheets have the same
rows, the later one keeps a fingerprint made unique with its id (its rows are still
recognised one by one by person and day).
"""

import hashlib
from decimal import Decimal

import django.core.validators
from django.db import migrations, models

LIMIT = 100_000
MAXIMA = {"qc_topic_completed": (None, 200), "volunteer_sheet": (None, 50), "manual_correction": (-200, 200)}


def clamp(value):
    return None if value is None else max(-LIMIT, min(LIMIT, value))


def every_rule_has_a_maximum(apps, schema_editor):
    PointRule = apps.get_model("points", "PointRule")
    for rule in PointRule.objects.all():
        low, high = MAXIMA.get(rule.code, (None, None))
        if rule.min_amount is None and low is not None:
            rule.min_amount = low
        if rule.max_amount is None:
            candidates = [v for v in (high, rule.min_amount, rule.default_amount) if v is not None]
            rule.max_amount = max(candidates) if candidates else LIMIT
        rule.min_amount, rule.max_amount, rule.default_amount = (
            clamp(rule.min_amount), clamp(rule.max_amount), clamp(rule.default_amount))
        if rule.min_amount is not None and rule.min_amount > rule.max_amount:
            rule.min_amount = rule.max_amount
        if rule.default_amount is not None and not (
                (rule.min_amount is None or rule.default_amount >= rule.min_amount)
                and rule.default_amount <= rule.max_amount):
            rule.default_amount = None
        rule.save(update_fields=["min_amount", "max_amount", "default_amount"])


def fingerprint_sheets(apps, schema_editor):
    VolunteerSheet = apps.get_model("points", "VolunteerSheet")
    VolunteerSheetRow = apps.get_model("points", "VolunteerSheetRow")
    seen = set()
    for sheet in VolunteerSheet.objects.order_by("pk"):
        rows = VolunteerSheetRow.objects.filter(sheet=sheet).values_list(
            "employee__staff_id", "date", "hours", "points")
        lines = sorted(f"{(staff_id or '').strip().upper()}|{day.isoformat() if day else ''}|"
                       f"{Decimal(hours).quantize(Decimal('0.01'))}|{points}" for staff_id, day, hours, points in rows)
        fingerprint = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        if fingerprint in seen:
            fingerprint = hashlib.sha256(f"{fingerprint}:{sheet.pk}".encode()).hexdigest()
        seen.add(fingerprint)
        VolunteerSheet.objects.filter(pk=sheet.pk).update(fingerprint=fingerprint)


class Migration(migrations.Migration):

    dependencies = [
        ('points', '0004_clearer_field_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='volunteersheet',
            name='fingerprint',
            field=models.CharField(help_text="SHA-256 of the sheet's normalised rows; the same rows are never imported twice.", max_length=64, null=True, verbose_name='rows fingerprint'),
        ),
        migrations.AlterField(
            model_name='pointrule',
            name='default_amount',
            field=models.IntegerField(blank=True, help_text='Paid when nobody chose an amount; empty when an amount must always be given.', null=True, validators=[django.core.validators.MinValueValidator(-100000), django.core.validators.MaxValueValidator(100000)], verbose_name='default amount'),
        ),
        migrations.AlterField(
            model_name='pointrule',
            name='max_amount',
            field=models.IntegerField(help_text="Required: no single payment under this rule may exceed it. Defaults: DOMAIN §5's upper bounds; 200 per member for a QC topic and ±200 for a manual correction (the largest single award in §5, a mentor's or a feasible proposal's); 50 per volunteer-sheet row (one person's help on one day is worth at most an accepted new case). Never above 100,000.", null=True, validators=[django.core.validators.MinValueValidator(-100000), django.core.validators.MaxValueValidator(100000)], verbose_name='maximum amount'),
        ),
        migrations.AlterField(
            model_name='pointrule',
            name='min_amount',
            field=models.IntegerField(blank=True, help_text='Empty: no minimum of its own (manual corrections may deduct).', null=True, validators=[django.core.validators.MinValueValidator(-100000), django.core.validators.MaxValueValidator(100000)], verbose_name='minimum amount'),
        ),
        migrations.AlterField(
            model_name='qctopic',
            name='points_per_member',
            field=models.PositiveIntegerField(help_text='Within the range of the point rule “QC topic completed”.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100000)], verbose_name='points per member'),
        ),
        migrations.AlterField(
            model_name='volunteersheet',
            name='sha256',
            field=models.CharField(db_index=True, max_length=64, verbose_name='SHA-256 of the file'),
        ),
        migrations.RunPython(every_rule_has_a_maximum, migrations.RunPython.noop),
        migrations.RunPython(fingerprint_sheets, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='pointrule',
            name='max_amount',
            field=models.IntegerField(help_text="Required: no single payment under this rule may exceed it. Defaults: DOMAIN §5's upper bounds; 200 per member for a QC topic and ±200 for a manual correction (the largest single award in §5, a mentor's or a feasible proposal's); 50 per volunteer-sheet row (one person's help on one day is worth at most an accepted new case). Never above 100,000.", validators=[django.core.validators.MinValueValidator(-100000), django.core.validators.MaxValueValidator(100000)], verbose_name='maximum amount'),
        ),
        migrations.AlterField(
            model_name='volunteersheet',
            name='fingerprint',
            field=models.CharField(help_text="SHA-256 of the sheet's normalised rows; the same rows are never imported twice.", max_length=64, unique=True, verbose_name='rows fingerprint'),
        ),
        migrations.AddConstraint(
            model_name='pointrule',
            constraint=models.CheckConstraint(condition=models.Q(('max_amount__gte', -100000), ('max_amount__lte', 100000)), name='pointrule_max_within_limit'),
        ),
        migrations.AddConstraint(
            model_name='pointrule',
            constraint=models.CheckConstraint(condition=models.Q(('min_amount__isnull', True), models.Q(('min_amount__gte', -100000), ('min_amount__lte', models.F('max_amount'))), _connector='OR'), name='pointrule_min_within_limit'),
        ),
        migrations.AddConstraint(
            model_name='pointrule',
            constraint=models.CheckConstraint(condition=models.Q(('default_amount__isnull', True), models.Q(('default_amount__gte', -100000), ('default_amount__lte', models.F('max_amount')), models.Q(('min_amount__isnull', True), ('default_amount__gte', models.F('min_amount')), _connector='OR')), _connector='OR'), name='pointrule_default_within_range'),
        ),
    ]
