"""The Chinese admin speaks Chinese: app, model and field names are translatable and
translated (locale/zh_Hans), so the admin index and forms show no English model names."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import translation
from pytest_django.fixtures import Settings

from tests.conftest import client_for
from tests.factories import PersonFactory

OUR_APPS = ["accounts", "trading", "bidding", "deposits", "experts", "realtime", "supervision"]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _plain_http(settings: Settings) -> None:
    settings.SECURE_SSL_REDIRECT = False


def our_models() -> list[type[models.Model]]:
    return [m for app in OUR_APPS for m in apps.get_app_config(app).get_models()]


@pytest.mark.django_db
def test_the_admin_index_in_chinese_shows_chinese_app_and_model_names() -> None:
    superuser = PersonFactory.create(
        username="root", organisation=None, is_staff=True, is_superuser=True
    )
    response = client_for(superuser).get(
        reverse("admin:index"), headers={"accept-language": "zh-hans"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    registered = [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]
    assert registered, "none of our models is in the admin"
    with translation.override("zh-hans"):
        for model in registered:
            chinese = str(model._meta.verbose_name_plural)
            assert CHINESE.search(chinese), (model, chinese)
            assert chinese in page, (model, chinese)
            with translation.override("en"):
                english = str(model._meta.verbose_name_plural).capitalize()
            assert english not in page, (model, english)
        for app in {m._meta.app_label for m in registered}:
            assert str(apps.get_app_config(app).verbose_name) in page


@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label)
def test_every_model_and_field_of_ours_has_a_chinese_name(model: type[models.Model]) -> None:
    with translation.override("zh-hans"):
        names = {
            "model": str(model._meta.verbose_name),
            "models": str(model._meta.verbose_name_plural),
            **{
                field.name: str(field.verbose_name)
                for field in model._meta.get_fields()
                if field.concrete and not field.auto_created
            },
        }
    untranslated = {name: text for name, text in names.items() if not CHINESE.search(text)}
    assert untranslated == {}


def test_every_app_of_ours_has_a_chinese_name() -> None:
    with translation.override("zh-hans"):
        names = {app: str(apps.get_app_config(app).verbose_name) for app in OUR_APPS}
    assert {app: name for app, name in names.items() if not CHINESE.search(name)} == {}
