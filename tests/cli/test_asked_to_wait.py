"""When the console cannot hold a question (its key already has every waiting place), it
answers at once with `Retry-After`: `ce` pauses that long before asking again."""

import httpx
from codeengine_cli import console as console_module
from codeengine_cli import main
from codeengine_cli.console import Console, Settings


def test_ce_pauses_as_asked_before_asking_again(monkeypatch):
    answers = [
        httpx.Response(200, json={"id": 7, "status": "running", "finished": False},
                       headers={"Retry-After": "5"}),
        httpx.Response(200, json={"id": 7, "status": "SUCCESS", "finished": True}),
    ]  # fmt: skip
    asked, paused = [], []
    console = Console(Settings("http://console.invalid", "ce_1_x"))
    console.http = httpx.Client(
        base_url="http://console.invalid/api/v1",
        transport=httpx.MockTransport(lambda request: asked.append(request) or answers.pop(0)),
    )
    monkeypatch.setattr(console_module.time, "sleep", paused.append)
    started = console.request("GET", "/runs/7")

    finished = main._finished_run(console, started, timeout=60, quiet=True)

    assert finished["status"] == "SUCCESS"
    assert paused == [5.0]
    assert [request.url.params.get("wait") for request in asked] == [None, "30"]
