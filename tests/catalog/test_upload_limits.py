"""Uploads are refused while they stream in; oversized posts get a page that says why."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from codeengine_ui.demo.package import demo_app_manifest

BOUNDARY = "console-test-boundary"
MB = 1024 * 1024


class CountingUpload:
    """A multipart body with one `size`-byte file, generated as it is read and counting
    what the server read of it."""

    def __init__(self, size: int):
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="text"\r\n\r\n\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            'filename="manifest.json"\r\nContent-Type: application/json\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size = size
        self.length = len(self.head) + size + len(self.tail)
        self.position = 0

    def read(self, count: int = -1) -> bytes:
        end = self.length if count is None or count < 0 else min(self.length, self.position + count)
        piece = b"".join(
            self._part(start, stop, end)
            for start, stop in ((0, len(self.head)), (len(self.head), len(self.head) + self.size),
                                (len(self.head) + self.size, self.length))
        )  # fmt: skip
        self.position = end
        return piece

    def _part(self, start: int, stop: int, end: int) -> bytes:
        """The bytes of [start, stop) between the read position and `end`."""
        first, last = max(start, self.position), min(stop, end)
        if first >= last:
            return b""
        if start == 0:
            return self.head[first:last]
        if stop == self.length:
            return self.tail[first - start : last - start]
        return b" " * (last - first)

    def readline(self, *args):  # the multipart parser reads in chunks only
        raise NotImplementedError


def _post_upload(client, body: CountingUpload, declared: int | None = None):
    return client.generic(
        "POST",
        "/functions/import/",
        **{
            "wsgi.input": body,
            "CONTENT_LENGTH": str(body.length if declared is None else declared),
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )


def test_a_30_mb_upload_is_refused_before_its_file_is_read(member_client):
    body = CountingUpload(30 * MB)

    response = _post_upload(member_client, body)

    assert response.status_code == 200
    assert "This file is over 1.0\xa0MB: is it a manifest.json?" in response.content.decode()
    assert body.position < 256 * 1024


def test_an_upload_over_the_limit_stops_being_read_at_the_limit(member_client):
    body = CountingUpload(MB + 60 * 1024)  # declared small enough to start reading it

    response = _post_upload(member_client, body)

    assert "This file is over 1.0\xa0MB" in response.content.decode()
    assert body.position <= MB + 2 * 64 * 1024


def test_a_manifest_under_the_limit_is_read(member_client, instance):
    upload = SimpleUploadedFile(
        "manifest.json", json.dumps(demo_app_manifest()).encode(), "application/json"
    )

    response = member_client.post("/functions/import/", {"text": "", "file": upload})

    assert response.status_code == 200
    assert "sayHello" in response.content.decode()


def test_a_form_post_over_the_request_limit_gets_a_page_that_says_why(member_client, greet):
    response = member_client.post(
        f"/functions/{greet.pk}/run/",
        {"editor_mode": "json", "inputs_json": json.dumps({"name": "x" * (3 * MB)})},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "larger than the console accepts: 2.5\xa0MB of form data" in html
