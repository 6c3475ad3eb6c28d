"""The categories, series and tags admins, with the series' parts and the tags' aliases."""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from taggit.admin import TagAdmin as TaggitTagAdmin
from taggit.models import Tag

from notes.models import Category, Note, Series, TagAlias


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "order", "note_count")
    list_editable = ("order",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(_note_count=Count("notes"))

    @admin.display(description=_("notes"), ordering="_note_count")
    def note_count(self, obj: Category) -> int:
        return obj._note_count


class SeriesPartInline(admin.TabularInline):
    """A series' notes in order; the order is edited here, membership on each note's form."""

    model = Note
    fk_name = "series"
    fields = ("title", "status", "published_at", "series_position")
    readonly_fields = ("title", "status", "published_at")
    ordering = ("series_position", "published_at", "id")
    extra = 0
    can_delete = False
    verbose_name = _("part")
    verbose_name_plural = _("parts (order: position in series)")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "part_count")
    search_fields = ("title", "description")
    prepopulated_fields = {"slug": ("title",)}
    inlines = (SeriesPartInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Series]:
        return super().get_queryset(request).annotate(_part_count=Count("notes"))

    @admin.display(description=_("parts"), ordering="_part_count")
    def part_count(self, obj: Series) -> int:
        return obj._part_count


class TagAliasInline(admin.TabularInline):
    model = TagAlias
    extra = 2
    verbose_name = _("alias (another name readers may search for)")


admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(TaggitTagAdmin):
    """taggit's tag admin (merge included) with the tag's aliases: searching any of them finds
    the notes with the tag."""

    inlines = (TagAliasInline,)
    list_display = ("name", "slug", "alias_list")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description=_("aliases"))
    def alias_list(self, obj: Tag) -> str:
        return ", ".join(alias.name for alias in obj.aliases.all())
