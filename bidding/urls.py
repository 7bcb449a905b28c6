from django.urls import path

from bidding import views

app_name = "bidding"

urlpatterns = [
    path("", views.my_bids, name="my_bids"),
    path("sections/<str:code>/upload/", views.upload_page, name="upload"),
    path("bids/<uuid:pk>/receipt.json", views.receipt_download, name="receipt"),
    path("bids/<uuid:pk>/withdraw/", views.withdraw, name="withdraw"),
]
