"""The ports the engine reaches the world through: backend, session store, observers (Protocols and their values)."""
