"""Issue 13, second factor: a member may ask its staff for one; a hand-over ticket carries
the second factor its issuing session passed."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_search_words_function"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="staff_second_factor_required",
            field=models.BooleanField(default=False, verbose_name="ask staff for a second factor"),
        ),
        migrations.AddField(
            model_name="signinhandoff",
            name="second_factor",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
