"""Quartz: CI/CD hub for the ROCm ecosystem."""

__version__ = "0.1.0"
