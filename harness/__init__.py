"""listrak-harness: fakes of Segment and Listrak, and a conformance harness for the contact sync."""

__version__ = "0.1.0"
__all__ = ["__version__"]
