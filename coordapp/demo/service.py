"""Placeholder replaced by the demo network loader."""
