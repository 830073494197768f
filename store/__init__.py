"""Session stores: one Protocol (base.py), one backend per module, `open_store(url)` to pick one."""

from store.base import SessionStore
from store.factory import open_store

__all__ = ["SessionStore", "open_store"]
