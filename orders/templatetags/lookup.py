"""Dictionary lookup in templates, for tables whose columns are data."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``mapping[key]``, or None when there is no mapping or no such key."""
    return None if mapping is None else mapping.get(key)
