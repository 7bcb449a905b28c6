"""The deposit pages (deposits/urls.py puts them under /deposits/, namespace ``deposits``)."""

from django.urls import path

from deposits import exports, staff_views, views

urlpatterns = [
    path("", views.my_deposits, name="mine"),
    path("sections/<str:code>/", views.notice, name="notice"),
    path("sections/<str:code>/sub-account/", views.sub_account, name="sub_account"),
    path("basic-account/", views.basic_account, name="basic_account"),
    path("staff/", staff_views.overview, name="staff"),
    path("staff/report.csv", exports.report_csv, name="report_csv"),
    path("staff/report.xlsx", exports.report_xlsx, name="report_xlsx"),
    path("staff/sections/<str:code>/", staff_views.section_page, name="staff_section"),
    path("staff/sections/<str:code>/forfeit/", staff_views.forfeit, name="forfeit"),
    path("staff/lines/<str:reference>/accept/", staff_views.line_accept, name="line_accept"),
    path("staff/lines/<str:reference>/return/", staff_views.line_return, name="line_return"),
]
