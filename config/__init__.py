"""The wiring: settings, URLs, ASGI and websocket routing, the Celery app, demo data.

Imports every app; nothing imports it (import-linter's "no app imports the wiring").
"""
