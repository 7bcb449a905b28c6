"""The API's refusals read in both languages, whatever language the client asks for
(issue 13): DRF's stock sentences (401, 404) are given as "中文 / English", as DomainErrors
are."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_request_without_credentials_is_refused_in_both_languages(language: str) -> None:
    response = APIClient().get(reverse("api:me"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == (
        "身份认证信息未提供。 / Authentication credentials were not provided."
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_section_that_does_not_exist_is_not_found_in_both_languages(language: str) -> None:
    path = reverse("api:section", kwargs={"code": "GGZY-NO-SUCH-SECTION"})
    response = APIClient().get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert response.json()["detail"] == "未找到。 / Not found."
