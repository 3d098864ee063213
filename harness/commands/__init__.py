"""One module per CLI command; each exposes `run_<command>(args) -> int`."""
