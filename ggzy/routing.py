"""Websocket routes."""

from django.urls import path

from realtime.consumers import HallConsumer

websocket_urlpatterns = [
    path("ws/halls/<str:code>/", HallConsumer.as_asgi()),
]
