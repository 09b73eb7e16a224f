# The access reviews' and the second factor's migrations, made side by side, joined.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0005_mfa"),
        ("tenants", "0005_reviews"),
    ]

    operations = []
