"""Template tags every page may use without loading them (a template builtin).

`{% empty_state "No runs yet" %}<p>…</p>{% endempty_state %}` wraps what a page says when
it has nothing to list in the one empty-state markup (templates/empty_state.html).
"""

from django import template

register = template.Library()


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
