"""The theme a user picks is theirs wherever they log in."""

from django.test import Client

from codeengine_ui.access.models import UserPreferences


def test_the_theme_toggle_cycles_and_is_remembered_per_user(member_client, member, viewer):
    first = member_client.get("/functions/").content.decode()
    assert '<html lang="en" data-theme="auto">' in first
    assert 'name="theme" value="light"' in first

    response = member_client.post(
        "/preferences/theme/",
        {"theme": "light", "next": "/functions/"},
        headers={"HX-Request": "true"},
    )

    assert response.headers["HX-Trigger"] == '{"themeChanged": "light"}'
    assert 'name="theme" value="dark"' in response.content.decode()
    assert UserPreferences.objects.get(user=member).theme == "light"
    elsewhere = Client()
    elsewhere.force_login(member)
    assert '<html lang="en" data-theme="light">' in elsewhere.get("/").content.decode()
    someone_else = Client()
    someone_else.force_login(viewer)
    assert '<html lang="en" data-theme="auto">' in someone_else.get("/").content.decode()


def test_without_htmx_the_toggle_goes_back_to_the_page(member_client, member):
    response = member_client.post("/preferences/theme/", {"theme": "dark", "next": "/executions/"})

    assert response.status_code == 302 and response.url == "/executions/"
    assert '<html lang="en" data-theme="dark">' in member_client.get("/").content.decode()


def test_a_foreign_return_address_or_unknown_theme_is_ignored(member_client, member):
    response = member_client.post(
        "/preferences/theme/", {"theme": "neon", "next": "https://evil.example/"}
    )

    assert response.status_code == 302 and response.url == "/"
    assert not UserPreferences.objects.filter(user=member).exists()
