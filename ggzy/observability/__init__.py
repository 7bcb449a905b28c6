"""Observability: structured logs (logs.py, context.py), Prometheus metrics (metrics.py),
health endpoints and process heartbeats (health.py, heartbeat.py).

The kernel part only: collectors that read app models live in ``config/observability.py``.
"""
