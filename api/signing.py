"""Temporary: domain.signing under its old name, for api/reports.py until it moves (renovation)."""

from domain.signing import Seal

__all__ = ["Seal"]
