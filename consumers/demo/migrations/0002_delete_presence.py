"""Who is on a board is presence now (docs/presence.md), not rows: the table goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("demo", "0001_initial")]

    operations = [migrations.DeleteModel(name="Presence")]
