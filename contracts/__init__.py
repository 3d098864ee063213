"""JSON-Schema contracts for the messages, and a validator that explains failures."""

from .ndjson import LineResult, NdjsonReport, format_text, validate_file, validate_lines
from .validator import (
    CONTRACT_BASE_URI,
    MESSAGE_TYPES,
    ContractValidator,
    Finding,
    default_validator,
    describe_value,
    findings,
    is_date_time,
    is_valid,
    is_valid_batch,
    validate_batch,
)

__all__ = [
    "CONTRACT_BASE_URI",
    "MESSAGE_TYPES",
    "ContractValidator",
    "Finding",
    "LineResult",
    "NdjsonReport",
    "default_validator",
    "describe_value",
    "findings",
    "format_text",
    "is_date_time",
    "is_valid",
    "is_valid_batch",
    "validate_batch",
    "validate_file",
    "validate_lines",
]
