"""The "Editors" group: what a person who writes and curates notes may do in the admin, and
nothing else (no users, groups, permissions, sessions or login records).

Permissions are normally created after migrating (post_migrate), which on a fresh database is
too late for this migration, so it creates the ones it needs itself, as Django documents.
Running it again adds what is missing and changes nothing else; reversing it removes the group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Editors"
ACTIONS = ("add", "change", "delete", "view")
# (app label, model): everything an editor edits in the admin. Papers and figures are edited
# inside the note form, tag aliases inside the tag form; restoring a revision needs only the
# note permissions (django-reversion checks those), so its own models are not listed.
MODELS = (
    ("notes", "note"),
    ("notes", "category"),
    ("notes", "series"),
    ("notes", "paper"),
    ("notes", "figure"),
    ("notes", "tagalias"),
    ("taggit", "tag"),
)


def editor_permissions(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for app_label in {app_label for app_label, _model in MODELS}:
        app_config = apps.get_app_config(app_label)
        # create_permissions skips an app whose models module is unset, as it is in a
        # migration's historical apps; the value is put back (it is set in the live registry).
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module
    permissions = []
    for app_label, model in MODELS:
        content_type = ContentType.objects.get(app_label=app_label, model=model)
        for action in ACTIONS:
            permissions.append(
                Permission.objects.get(content_type=content_type, codename=f"{action}_{model}")
            )
    return permissions


def create_editors_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*editor_permissions(apps))


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0007_render_once_site_state"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
