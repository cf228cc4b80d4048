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


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.domo.com.",  # a trailing dot
        "https://\u0430cme.domo.com",  # a Cyrillic a
        "https://acme.domo.com%2f@evil.example.com",  # encoded slash before userinfo
        "https://2130706433",  # 127.0.0.1 as a decimal number
        "https://[::ffff:127.0.0.1]",  # IPv4 mapped into IPv6
        "https://0x7f.0.0.1",  # hexadecimal octet
        "https://localhost",
        "https://acme.domo.com\\@evil.example.com",
        "http://127.0.0.1:8766",  # the emulator's host on another port
    ],
)
def test_tricky_addresses_are_refused(url):
    with pytest.raises(InvalidRequestError):
        check_base_url(url, ["127.0.0.1:8765"])


def test_upper_case_domo_host_is_normalised():
    assert check_base_url("https://ACME.Domo.com", []) == "https://acme.domo.com"


@pytest.mark.parametrize(
    "name",
    [
        "evil.example.com/x",
        "acme.domo.com@evil.example.com",
        "acme:8443",
        "10.0.0.1",
        "acme.evil.example.com#",
    ],
)
def test_a_subdomain_that_slipped_past_validation_is_still_not_called(db, name):
    from codeengine_ui.catalog.models import AccessToken

    instance = Instance.objects.create(name=name, display_name="x")  # validation bypassed
    token = AccessToken(instance=instance, label="t")
    token.set_token("some-token-1234567890")

    with pytest.raises(InvalidRequestError):
        token.client()


def test_the_admin_refuses_an_address_that_is_not_allowed(admin_client, settings):
    settings.CODEENGINE_ALLOWED_HOSTS = []

    response = admin_client.post(
        "/admin/catalog/instance/add/",
        {
            "name": "local",
            "display_name": "Local",
            "custom_base_url": "http://169.254.169.254",
        },
    )

    assert "only https://&lt;instance&gt;.domo.com" in response.content.decode()
    assert not Instance.objects.filter(name="local").exists()
