import pytest
from django.core.exceptions import ValidationError

from codeengine_ui.catalog.models import Instance
from codeengine_ui.domo.client import check_base_url
from codeengine_ui.domo.errors import InvalidRequestError


def test_base_url_is_derived_from_the_subdomain(db):
    assert Instance(name="acme").base_url == "https://acme.domo.com"


@pytest.mark.parametrize("name", ["Acme", "acme.evil.com", "acme/..", "a b", "-acme", "acme@x"])
def test_subdomain_allows_only_lower_case_letters_digits_and_hyphens(db, name):
    with pytest.raises(ValidationError) as raised:
        Instance(name=name, display_name="x").full_clean()

    assert "name" in raised.value.message_dict


def test_custom_base_url_needs_its_host_listed(db, settings):
    settings.CODEENGINE_ALLOWED_HOSTS = ["127.0.0.1:8765"]
    allowed = Instance(name="local", display_name="Local", custom_base_url="http://127.0.0.1:8765")
    refused = Instance(name="other", display_name="Other", custom_base_url="http://127.0.0.1:6379")

    allowed.full_clean()
    with pytest.raises(ValidationError) as raised:
        refused.full_clean()

    assert "CODEENGINE_ALLOWED_HOSTS" in raised.value.message_dict["custom_base_url"][0]


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.domo.com",
        "https://acme.domo.com/",
        "https://my-team-01.domo.com",
    ],
)
def test_domo_instances_are_always_allowed(url):
    assert check_base_url(url, []) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://acme.domo.com",  # not https
        "https://acme.domo.com:8443",  # a port
        "https://user:pass@acme.domo.com",  # userinfo
        "https://acme.domo.com@evil.example.com",  # userinfo hiding the real host
        "https://acme.domo.com/api/elsewhere",  # a path
        "https://acme.domo.com?x=1",  # a query
        "https://evil.example.com",  # another host
        "https://acme.domo.com.evil.example.com",  # a look-alike
        "https://10.0.0.1",  # an IP literal
        "https://[::1]",  # an IPv6 literal
        "ftp://acme.domo.com",  # another scheme
        "https://acme.domo.com:notaport",
    ],
)
def test_anything_else_is_refused_unless_listed(url):
    with pytest.raises(InvalidRequestError):
        check_base_url(url, ["127.0.0.1:8765"])


def test_listed_host_without_port_allows_only_the_default_port():
    assert check_base_url("https://ce.internal", ["ce.internal"]) == "https://ce.internal"
    with pytest.raises(InvalidRequestError):
        check_base_url("https://ce.internal:8443", ["ce.internal"])
