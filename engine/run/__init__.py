"""The runtime: the engine (lock → load → route → turn → save), routing, the turn, paging, wiring."""
