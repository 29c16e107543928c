"""Read-only aggregates for the leadership dashboards (computed in SQL; see service.py)."""
