"""The composition root: the ``menuflow`` command and the server that wires engine, gateways and simulator.

Nothing imports ``app``; it may import everything (the import-linter contracts in
pyproject.toml say so).
"""
