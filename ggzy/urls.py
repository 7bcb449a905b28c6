from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import api as accounts_api
from bidding import api as bidding_api
from ggzy import api
from trading import api as trading_api

api_patterns = [
    path("time", api.server_time, name="time"),
    path("auth/token", accounts_api.TokenView.as_view(), name="token"),
    path("me", accounts_api.MeView.as_view(), name="me"),
    path(
        "organisations/<int:pk>/keys",
        accounts_api.OrganisationKeysView.as_view(),
        name="organisation-keys",
    ),
    path("sections/<str:code>", trading_api.SectionDetail.as_view(), name="section"),
    path("platform-key", bidding_api.PlatformKeyView.as_view(), name="platform-key"),
    path("bids/uploads", bidding_api.UploadCollection.as_view(), name="uploads"),
    path("bids/uploads/<uuid:pk>", bidding_api.UploadResource.as_view(), name="upload"),
    path("bids", bidding_api.BidList.as_view(), name="bids"),
    path("bids/<int:pk>/receipt", bidding_api.ReceiptView.as_view(), name="receipt"),
    path("bids/<int:pk>/withdraw", bidding_api.WithdrawView.as_view(), name="withdraw"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("", include("trading.urls")),
    path("bidding/", include("bidding.urls")),
    path("api/", include((api_patterns, "api"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
