"""The ``menuflow`` command: one front door for authors, QA and operations."""
