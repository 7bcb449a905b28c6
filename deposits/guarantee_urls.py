from django.urls import path

from deposits import guarantee_views

app_name = "guarantees"

urlpatterns = [
    path("verify", guarantee_views.verify, name="verify"),
]
