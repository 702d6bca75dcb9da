"""The ports the engine reaches the world through, as Protocols with their values: the backend, the
session store, observers and the event store, the outbox, shared state and the rate limiter.
Their adapters live beside them in ``engine.store``, ``engine.backend`` and ``engine.events``.
"""
