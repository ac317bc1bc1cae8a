"""The middleware both fronts share, exercised through the API: its app and practice."""

from tests.api.conftest import app, practice

__all__ = ["app", "practice"]
