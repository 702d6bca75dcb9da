"""``menuflow preview``: a local page showing every state of a flow as each channel renders it, live."""
