"""On Postgres, a trigram index that serves the gallery's search by file name (`icontains`,
which Django writes as UPPER(filename) LIKE UPPER('%...%')). SQLite keeps a plain scan."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations
from django.db.models.functions import Upper

INDEX_NAME = "asset_filename_trgm"


def trigram_index():
    return GinIndex(OpClass(Upper("filename"), name="gin_trgm_ops"), name=INDEX_NAME)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.add_index(apps.get_model("images_app", "Asset"), trigram_index())


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("images_app", "Asset"), trigram_index())


class Migration(migrations.Migration):
    dependencies = [("images_app", "0008_pages_at_any_size")]

    operations = [migrations.RunPython(create, drop)]
