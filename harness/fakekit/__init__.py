"""Pieces both fakes share: the clock, the fault engine, the server runner and the in-process transport."""
