"""How much per-request work the server may remember: the caches keyed by what a request sends
(query strings, Content-Type values) hold at most MAX_ENTRIES answers each, and never one keyed
by more than MAX_KEY_LENGTH characters. A head may be 64 KiB: without the second bound, a caller
could fill a cache with 1,024 keys of 64 KiB each (about 130 MB per worker, the answers
included). Real query strings and content types are far shorter than the bound."""

from __future__ import annotations

MAX_ENTRIES = 1024
MAX_KEY_LENGTH = 512


def rememberable(key: bytes | str | None, entries: int, max_entries: int = MAX_ENTRIES) -> bool:
    """Whether an answer keyed by `key` may join a cache now holding `entries` answers."""
    return entries < max_entries and (key is None or len(key) <= MAX_KEY_LENGTH)
