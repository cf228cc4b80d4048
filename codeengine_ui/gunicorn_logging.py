"""gunicorn's logger for the console (`--logger-class`): its access and error lines are
redacted as the console's own log lines are, whatever the access log's format."""

import logging

from gunicorn import glogging

from codeengine_ui.domo.redaction import REDACTED, redact, redact_query_string

# Request headers a format may name as %({name}i)s, whose values are credentials.
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-domo-developer-token",
                   "x-api-key"}  # fmt: skip


class RedactingLogger(glogging.Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not isinstance(handler.formatter, _Redacted):
                    handler.setFormatter(_Redacted(handler.formatter or logging.Formatter()))

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # %(q)s follows %(U)s without its "?" in many formats: redacted parameter by
        # parameter, its first name is still read as a name.
        atoms["q"] = redact_query_string(atoms["q"] or "")
        for name in _SECRET_HEADERS:
            if f"{{{name}}}i" in atoms:
                atoms[f"{{{name}}}i"] = REDACTED
        return atoms


class _Redacted(logging.Formatter):
    """gunicorn's own formatter for a handler, its lines redacted."""

    def __init__(self, formatter: logging.Formatter):
        super().__init__()
        self.formatter = formatter

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.formatter.format(record))
