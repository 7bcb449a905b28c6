from django.urls import path

app_name = "award"

urlpatterns: list = []
