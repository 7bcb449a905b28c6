"""Websocket routes. Each app adds its consumers here (the opening hall: realtime/)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
