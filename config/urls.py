from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

from accounts import api as accounts_api
from bidding import api as bidding_api
from deposits import guarantee_api
from ggzy import api
from ggzy.observability.health import HealthView
from ggzy.observability.metrics import MetricsView
from realtime import api as hall_api
from supervision.transparency import urls as transparency_urls
from trading import api as trading_api
from trading import ceremony_urls

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
    path("halls/<str:code>", hall_api.Snapshot.as_view(), name="hall"),
    path("halls/<str:code>/sign-in", hall_api.SignIn.as_view(), name="hall-sign-in"),
    path("halls/<str:code>/advance", hall_api.Advance.as_view(), name="hall-advance"),
    path("halls/<str:code>/bids/<uuid:bid>/key", hall_api.ContentKey.as_view(), name="hall-key"),
    path("halls/<str:code>/answer", hall_api.Answer.as_view(), name="hall-answer"),
    path("halls/<str:code>/objections", hall_api.Objections.as_view(), name="hall-objections"),
    path(
        "halls/<str:code>/objections/<int:pk>",
        hall_api.ObjectionDetail.as_view(),
        name="hall-objection",
    ),
    path(
        "halls/<str:code>/objections/<int:pk>/answer",
        hall_api.ObjectionAnswer.as_view(),
        name="hall-objection-answer",
    ),
    path("halls/<str:code>/share", hall_api.Share.as_view(), name="hall-share"),
    path("halls/<str:code>/rescue", hall_api.Rescue.as_view(), name="hall-rescue"),
    path("halls/<str:code>/record", hall_api.Record.as_view(), name="hall-record"),
    path("platform-key", bidding_api.PlatformKeyView.as_view(), name="platform-key"),
    path("bids/uploads", bidding_api.UploadCollection.as_view(), name="uploads"),
    path("bids/uploads/<uuid:pk>", bidding_api.UploadResource.as_view(), name="upload"),
    path("bids", bidding_api.BidList.as_view(), name="bids"),
    path("bids/<uuid:pk>/receipt", bidding_api.ReceiptView.as_view(), name="receipt"),
    path("bids/<uuid:pk>/withdraw", bidding_api.WithdrawView.as_view(), name="withdraw"),
    path("guarantees", guarantee_api.GuaranteeCollection.as_view(), name="guarantees"),
    path("guarantees/verify", guarantee_api.GuaranteeVerify.as_view(), name="guarantee-verify"),
    path(
        "guarantees/<str:number>/revoke",
        guarantee_api.GuaranteeRevoke.as_view(),
        name="guarantee-revoke",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Public, like the schema: see ggzy.api.ApiDocsView for its content-security policy.
    path(
        "docs/",
        csp_update({"img-src": ["data:"]})(api.ApiDocsView.as_view(url_name="api:schema")),
        name="docs",
    ),
    *transparency_urls.api_patterns,
    *ceremony_urls.api_patterns,
]

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    # Probes, not pages: /healthz is public and says only whether this process can serve;
    # /metrics answers only the monitoring network or the bearer token (docs/operations.md).
    path("healthz", HealthView.as_view(), name="healthz"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("accounts/", include("accounts.urls")),
    path("", include("trading.urls")),
    path("", include(ceremony_urls.urlpatterns)),
    path("ledger/", include(transparency_urls)),
    path("bidding/", include("bidding.urls")),
    path("halls/", include("realtime.urls")),
    path("deposits/", include("deposits.urls")),
    path("experts/", include("experts.urls")),
    path("guarantees/", include("deposits.guarantee_urls")),
    path("credit/", include("accounts.credit_urls")),
    path("supervision/", include("supervision.portal.urls")),
    path("supervision/alerts/", include("supervision.alerts.urls")),
    path("complaints/", include("supervision.complaints.urls")),
    path("", include("award.urls")),
    path("opendata/", include("supervision.opendata.urls")),
    path("supervision/archives/", include("supervision.archive.urls")),
    path("api/", include((api_patterns, "api"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
