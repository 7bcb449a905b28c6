from django.urls import path

from deposits import bank_views

app_name = "deposits"

urlpatterns = [
    path("bank/callback", bank_views.callback, name="bank_callback"),
]
