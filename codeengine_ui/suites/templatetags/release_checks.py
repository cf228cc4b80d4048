from django import template

from codeengine_ui.suites.services import release_check as check_of

register = template.Library()


@register.simple_tag
def release_check(function):
    """How the suites did on the function's newer released version (None if not run)."""
    return check_of(function)
