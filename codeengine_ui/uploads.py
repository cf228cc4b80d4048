"""Uploads are refused while they stream in, not after they have been received whole.

The only file the console takes is an app manifest, so one limit serves every upload:
past `MAX_UPLOAD_BYTES` the handler stops reading the request (the rest is never
parsed, stored or kept in memory) and marks the request, so the form can say why.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

# Room for the form's other fields (CSRF token, pasted text) in front of the file.
_FIELDS_ALLOWANCE = 64 * 1024


def upload_refused(request: HttpRequest) -> bool:
    """Whether this request's upload was stopped for being over the limit."""
    return getattr(request, "_upload_over_limit", False)


class CappedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts each file's bytes and stops past the limit."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.request_length = content_length
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        # The declared length already says the file cannot fit: read none of it.
        if self.request_length > settings.MAX_UPLOAD_BYTES + _FIELDS_ALLOWANCE:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_BYTES:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None

    def _refuse(self):
        self.request._upload_over_limit = True
        # Stop reading the body instead of draining it.
        raise StopUpload(connection_reset=True)
