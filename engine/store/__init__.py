"""Session stores: in-memory (default) and Redis (scale-out); ``open_store`` picks by URL."""

from engine.ports.sessions import SessionBusy, SessionStore, StaleSession
from engine.store.loader import open_store
from engine.store.memory import MemoryStore

__all__ = ["MemoryStore", "SessionBusy", "SessionStore", "StaleSession", "open_store"]
