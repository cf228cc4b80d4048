from django.http import HttpRequest

from .models import Theme, UserPreferences
from .roles import Role, role_of

THEME_CYCLE = {Theme.AUTO: Theme.LIGHT, Theme.LIGHT: Theme.DARK, Theme.DARK: Theme.AUTO}


def role(request: HttpRequest) -> dict:
    """What the pages need to show or hide controls (the views check again on every request),
    and the user's theme."""
    user = getattr(request, "user", None)
    current = role_of(user)
    theme = UserPreferences.theme_for(request)
    return {
        "user_role": current,
        "may_run": current >= Role.MEMBER,
        "is_console_admin": current >= Role.ADMIN,
        "theme": theme,
        "next_theme": THEME_CYCLE[Theme(theme)],
    }
