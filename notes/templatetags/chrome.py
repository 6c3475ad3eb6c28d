"""The shared page parts (notes.chrome) in templates, rendered once per language and what
they show."""

from django import template
from django.utils.safestring import SafeString

from notes import chrome

register = template.Library()


@register.simple_tag(takes_context=True)
def head_links(context: template.Context) -> SafeString:
    return chrome.head_links(context.get("feeds"))


@register.simple_tag(takes_context=True)
def nav_items(context: template.Context) -> SafeString:
    navigation = context.get("navigation")
    if callable(navigation):
        navigation = navigation()
    return chrome.nav_items(navigation or [], context.get("current_category_slug", ""))


@register.simple_tag(takes_context=True)
def site_footer(context: template.Context) -> SafeString:
    return chrome.footer()
