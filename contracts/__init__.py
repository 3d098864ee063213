"""JSON-Schema contracts for the messages, and a validator that explains failures."""
