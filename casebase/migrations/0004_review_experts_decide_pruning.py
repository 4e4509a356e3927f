"""Pruning proposes by default: review experts decide (DOMAIN §3). The seeded settings row
switches from "move" to "propose"; "move" stays available in admin as the explicit automatic
option. Going back leaves the row as it is ("propose" was always a valid choice)."""

from django.db import migrations, models


def experts_decide(apps, schema_editor):
    apps.get_model("casebase", "CaseLibrarySettings").objects.filter(pk=1, prune_mode="move").update(
        prune_mode="propose")


class Migration(migrations.Migration):

    dependencies = [
        ('casebase', '0003_ratings_are_final'),
    ]

    operations = [
        migrations.AlterField(
            model_name='caselibrarysettings',
            name='prune_mode',
            field=models.CharField(choices=[('move', 'Move to the history library at once'), ('propose', 'Propose retirements for review experts to confirm')], default='propose', help_text='Default “propose”: the daily job lists the cases over each cap as retirement candidates and review experts decide (DOMAIN §3). “Move” is the explicit automatic option: the job moves them to the history library itself.', max_length=10, verbose_name='pruning'),
        ),
        migrations.RunPython(experts_decide, migrations.RunPython.noop),
    ]
