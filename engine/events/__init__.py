"""The durable event log: engine events, made anonymous, batched into SQLite or PostgreSQL off the hot path."""
