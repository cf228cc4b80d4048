from .roles import Role, role_of


def role(request):
    """What the pages need to show or hide controls; the views check again on every request."""
    current = role_of(getattr(request, "user", None))
    return {
        "user_role": current,
        "may_run": current >= Role.MEMBER,
        "is_console_admin": current >= Role.ADMIN,
    }
