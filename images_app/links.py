"""Links to an asset's or an environment's pages, made without searching the URL patterns each time.

reverse() walks the URL patterns and checks its answer against the pattern on every call, which
costs tens of microseconds; a page of cards links each asset two or three times and each card's
environment once. Two assets' links differ only in the id (two environments' in the slug), so each
pattern is reversed once, per URL configuration and script prefix (reverse() reads both from the
request in progress), and every id or slug is then written into it.
"""

import functools
import re

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse

# Reversed in place of the argument to find where it goes: digits, so that both an int and a slug
# converter take it, and a number no asset of this portal reaches.
_MARKER = "9876543210123"
# What Django's slug converter accepts; anything else is left to reverse() to refuse.
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


@functools.lru_cache(maxsize=64)
def _around_the_argument(name, resolver, script_prefix):
    """The text before and after the argument in `name`'s URL; `resolver` and `script_prefix`
    only key the cache (a test that swaps the URL configuration gets a new resolver)."""
    before, after = reverse(name, args=[_MARKER]).split(_MARKER)
    return before, after


def _url(name, text):
    before, after = _around_the_argument(name, get_resolver(get_urlconf()), get_script_prefix())
    return f"{before}{text}{after}"


def id_url(name, pk):
    """reverse(name, args=[pk]) for a URL whose one argument is an `<int:...>` id."""
    if type(pk) is int and pk >= 0:
        return _url(name, pk)
    return reverse(name, args=[pk])


def slug_url(name, slug):
    """reverse(name, args=[slug]) for a URL whose one argument is a `<slug:...>`."""
    if isinstance(slug, str) and _SLUG.fullmatch(slug):
        return _url(name, slug)
    return reverse(name, args=[slug])
