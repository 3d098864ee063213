"""JSON-Schema contracts for the messages (the Segment Spec, the Listrak Source per revision), and a validator that
explains failures."""

from .ndjson import LineResult, NdjsonReport, format_text, validate_file, validate_lines
from .validator import (
    CONTRACT_BASE_URI,
    MESSAGE_TYPES,
    SOURCE_BASE_URI,
    SOURCE_REVISIONS,
    ContractValidator,
    Finding,
    SourceValidator,
    UnknownRevision,
    default_validator,
    describe_value,
    findings,
    is_date_time,
    is_valid,
    is_valid_batch,
    source_validator,
    validate_batch,
)

__all__ = [
    "CONTRACT_BASE_URI",
    "MESSAGE_TYPES",
    "SOURCE_BASE_URI",
    "SOURCE_REVISIONS",
    "ContractValidator",
    "Finding",
    "LineResult",
    "NdjsonReport",
    "SourceValidator",
    "UnknownRevision",
    "default_validator",
    "describe_value",
    "findings",
    "format_text",
    "is_date_time",
    "is_valid",
    "is_valid_batch",
    "source_validator",
    "validate_batch",
    "validate_file",
    "validate_lines",
]
