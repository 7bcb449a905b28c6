"""Deposits under /deposits/ (namespace ``deposits``): the bank's callback and the pages."""

from django.urls import path

from deposits import bank_views, page_urls

app_name = "deposits"

urlpatterns = [
    path("bank/callback", bank_views.callback, name="bank_callback"),
    *page_urls.urlpatterns,
]
