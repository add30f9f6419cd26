"""The appservice server never expects an empty or unusable ``hs_token``, however it is built:
from a file, a mapping, a loaded registration, a model or by hand."""

from __future__ import annotations

import pytest
from matrix_appservice.models import Registration
from matrix_appservice.registration import LoadedRegistration, RegistrationError
from matrix_appservice.server import AppServiceApp, AppServiceHandler, MemoryStore, create_app

from tests.python.server.support import registration

UNUSABLE = ["", " ", "\t\n", "hs-secret 0a7b3f9c", "hs-secret-0a7b3f9c\r\n"]


@pytest.mark.parametrize("token", UNUSABLE)
def test_a_mapping_or_loaded_registration_with_an_unusable_hs_token_is_refused(token: str) -> None:
    for reg in (
        registration(hs_token=token),
        LoadedRegistration("reg.yaml", registration(hs_token=token)),
    ):
        with pytest.raises(
            RegistrationError, match=r"hs_token (is empty|is only whitespace|holds)"
        ):
            create_app(reg, AppServiceHandler(), store="memory")


@pytest.mark.parametrize("token", UNUSABLE)
def test_a_registration_model_with_an_unusable_hs_token_is_refused(token: str) -> None:
    model = Registration.model_validate(registration(hs_token=token))
    with pytest.raises(ValueError, match="the registration 'echo-bridge': hs_token "):
        create_app(model, AppServiceHandler(), store="memory")


def test_an_app_built_by_hand_never_expects_an_empty_token() -> None:
    model = Registration.model_validate(registration(hs_token=""))
    with pytest.raises(ValueError, match="the registration's hs_token is empty"):
        AppServiceApp(
            model, AppServiceHandler(), version="v1.19", legacy_routes=True,
            legacy_query_auth=True, max_body_bytes=1024, store=MemoryStore(), owns_store=True,
            path_prefix="", server_name=None, anchoring="full", wait_timeout=1.0,
            access_log=False,
        )  # fmt: skip


def test_a_registration_model_whose_url_holds_a_password_is_refused() -> None:
    model = Registration.model_validate(registration(url="http://bridge:pa55word@127.0.0.1:9009"))
    with pytest.raises(ValueError) as caught:
        create_app(model, AppServiceHandler(), store="memory")
    assert "url 'http://***@127.0.0.1:9009' holds user info" in str(caught.value)
    assert "pa55word" not in str(caught.value)
