from django.urls import URLPattern

app_name = "realtime"

urlpatterns: list[URLPattern] = []
