"""Session stores: in-memory (default) and Redis (scale-out)."""

from engine.store.base import SessionStore
from engine.store.memory import MemoryStore

__all__ = ["MemoryStore", "SessionStore"]
