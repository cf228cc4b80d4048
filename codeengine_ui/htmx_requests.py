"""The request type of the console's views: Django's, with what django-htmx's middleware
adds (`request.htmx`), as django-htmx's own example types its views."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
