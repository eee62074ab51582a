"""Epidemiological analytics: pure NumPy/SciPy estimators, each checked against published
or reference outputs (see docs/validation.md)."""
