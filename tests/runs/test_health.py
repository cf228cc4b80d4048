from datetime import timedelta

from django.utils import timezone

from codeengine_ui.runs.models import WorkerHeartbeat
from tests.conftest import stored_run


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


def test_health_names_the_runs_held_by_a_worker_that_stopped_beating(
    client, settings, greet, developer_token, member
):
    """The last worker was killed: its runs stay running until a worker starts, and the
    health report says so, by id."""
    _beat(settings.RUN_WORKER_STALE_SECONDS + 30)
    held = stored_run(greet, developer_token, member, {"name": "Ada"})
    held.mark_running(f"w{settings.RUN_WORKER_STALE_SECONDS + 30}")
    by_db_worker = stored_run(greet, developer_token, member, {"name": "Grace"})
    by_db_worker.mark_running("db-worker-without-heartbeat")

    body = client.get("/health/").json()

    stalled = body["runs"]["stalled"]
    assert (stalled["count"], stalled["ids"]) == (1, [held.pk])
    assert "stopped beating" in stalled["message"]
    assert "the next one to start" in stalled["message"]
