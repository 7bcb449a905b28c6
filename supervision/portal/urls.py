from django.urls import path

from supervision.portal import views

app_name = "supervision"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("charts/", views.chart_page, name="charts"),
    path("charts/<slug:name>.svg", views.chart_svg, name="chart"),
    path("ledger/", views.ledger_page, name="ledger"),
    path("ledger/export.<slug:fmt>", views.ledger_export, name="ledger_export"),
    path("ledger/verify/", views.ledger_verify, name="ledger_verify"),
    path("sections/<str:code>/timeline/", views.section_timeline, name="timeline"),
    path("sections/<str:code>/hall/", views.section_hall, name="hall"),
]
