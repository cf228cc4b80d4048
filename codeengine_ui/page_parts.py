"""Template tags every page may use without loading them (a template builtin).

`{% empty_state "No runs yet" %}<p>…</p>{% endempty_state %}` wraps what a page says when
it has nothing to list in the one empty-state markup (templates/empty_state.html).
`{{ text|code_spans }}` shows `backticked` words as code, the rest escaped; `{{ text|
date_in_words }}` shows a date that came as ISO text (from Domo) in words.
"""

import re
from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

_CODE_SPAN = re.compile(r"`([^`\n]+)`")


@register.filter
def code_spans(text) -> str:
    """Markdown's code spans and nothing else: every other character is escaped."""
    if not text:
        return ""
    parts = _CODE_SPAN.split(str(text))
    # split() alternates plain text and the insides of code spans.
    html = "".join(
        escape(part) if index % 2 == 0 else f"<code>{escape(part)}</code>"
        for index, part in enumerate(parts)
    )
    return mark_safe(html)  # noqa: S308 - every part above is escaped


@register.filter
def date_in_words(value) -> str:
    """ "26 Nov 2026, 14:05" in the viewer's time zone, the text as sent on hover; text
    that is not an ISO date is shown as it is."""
    if not value:
        return "—"
    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        text,
        f"{local.day} {local:%b %Y, %H:%M}",
    )


class EmptyStateNode(template.Node):
    def __init__(self, title: template.base.FilterExpression, body: template.NodeList):
        self.title = title
        self.body = body

    def render(self, context) -> str:
        markup = context.template.engine.get_template("empty_state.html")
        body = self.body.render(context)  # safe text: escaped as the page's template rendered it
        with context.push(title=self.title.resolve(context), body=body):
            return markup.render(context)


@register.tag
def empty_state(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument, the title")
    body = parser.parse(("endempty_state",))
    parser.delete_first_token()
    return EmptyStateNode(parser.compile_filter(bits[1]), body)
