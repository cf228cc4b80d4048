import json

from django.db import models


class ReadableJSONEncoder(json.JSONEncoder):
    """Stores text as written (not as \\u escapes), so searching stored JSON finds "Zoë"."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class OrderedJSONField(models.JSONField):
    """A JSONField that gives objects back with their keys in the order they were stored.

    PostgreSQL's jsonb (Django's default) sorts object keys, so a result would come back
    in another order than Code Engine returned it. A json column keeps the text; the app
    config loads it as text so Python's dicts keep the order. SQLite keeps text anyway.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("encoder", ReadableJSONEncoder)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("encoder") is ReadableJSONEncoder:
            del kwargs["encoder"]
        return name, path, args, kwargs

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        adapted = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor == "postgresql":
            from psycopg.types.json import Json, Jsonb

            if isinstance(adapted, Jsonb):
                return Json(adapted.obj, dumps=adapted.dumps)
        return adapted
