from datetime import timedelta

from django.utils import timezone

from codeengine_ui.runs.models import WorkerHeartbeat


def _beat(seconds_ago: float) -> None:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(
        worker_id=f"w{seconds_ago}",
        hostname="h",
        pid=1,
        concurrency=8,
        started_at=seen,
        last_seen_at=seen,
    )


def test_health_needs_no_login_and_is_503_without_a_worker(client, db):
    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == {"ok": True}
    assert body["worker"]["ok"] is False and body["worker"]["last_seen"] is None
    assert body["runs"] == {"queued": 0, "running": 0}


def test_health_is_ok_with_a_recent_heartbeat(client, db):
    _beat(2)

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["worker"]["live_workers"] == 1


def test_stale_heartbeat_says_when_the_worker_was_last_seen(client, db, settings):
    _beat(settings.RUN_WORKER_STALE_SECONDS + 60)

    body = client.get("/health/").json()

    assert body["worker"]["ok"] is False
    assert body["worker"]["seconds_since_last_seen"] >= settings.RUN_WORKER_STALE_SECONDS + 60


def test_health_is_503_when_the_database_does_not_answer(client, db, monkeypatch):
    class DownDatabase:
        def cursor(self):
            raise ConnectionError("database is down")

    monkeypatch.setattr("codeengine_ui.runs.views.connection", DownDatabase())

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "ConnectionError"}
