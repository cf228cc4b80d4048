"""The operations page (admins) and /metrics (a scraper with the token or from an allowed
address) show the workers, the queue, the instances and the runs' counts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from codeengine_ui.runs.models import ExecutionStatus, RunSource, WorkerHeartbeat
from tests.conftest import stored_run

pytestmark = pytest.mark.django_db


def _beat(worker_id: str, seconds_ago: float, in_flight: int = 0) -> None:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        hostname="host",
        pid=len(worker_id),
        concurrency=512,
        runs_in_flight=in_flight,
        started_at=seen,
        last_seen_at=seen,
    )


@pytest.fixture
def busy(greet, developer_token, member, instance):
    instance.concurrency_budget = 20
    instance.save()
    _beat("alive", 1, in_flight=1)
    _beat("gone", 60)
    stored_run(
        greet,
        developer_token,
        member,
        {"name": "a"},
        status=ExecutionStatus.SUCCESS,
        duration=timedelta(seconds=2),
    )
    stored_run(
        greet,
        developer_token,
        member,
        {"name": "b"},
        status=ExecutionStatus.FAILED,
        duration=timedelta(seconds=30),
        http_status=200,
    )
    stored_run(
        greet,
        developer_token,
        member,
        {"name": "c"},
        status=ExecutionStatus.ERROR,
        error_code="timeout",
        source=RunSource.API,
    )
    running = stored_run(greet, developer_token, member, {"name": "d"})
    running.mark_running("gone")
    stored_run(greet, developer_token, member, {"name": "e"})
    return running


def test_admins_see_workers_queue_instances_and_stalled_runs(
    client, admin_user, member_client, busy
):
    assert member_client.get("/operations/").status_code == 403

    client.force_login(admin_user)
    page = client.get("/operations/").content.decode()

    assert "host:5" in page and "silent: gone?" in page
    assert '<dt>Workers alive</dt><dd class="stat-value">1</dd>' in page
    assert "1 of 20 (its budget)" in page
    assert f"#{busy.pk}" in page and "stopped beating" in page
    assert ">1</dd>" in page  # one queued


def test_metrics_need_the_token_or_an_allowed_address(client, settings, busy):
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Token scrape-secret-0123456789").status_code
        == 403
    )
    lower_case = client.get("/metrics", HTTP_AUTHORIZATION="bearer scrape-secret-0123456789")
    assert lower_case.status_code == 200, "the scheme's case does not matter"

    answer = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789")

    assert answer.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(answer.content.decode())}
    runs = {
        (s.labels["status"], s.labels["source"]): s.value
        for s in families["ce_runs"].samples
        if s.name == "ce_runs_total"
    }
    assert runs == {("SUCCESS", "form"): 1, ("FAILED", "form"): 1, ("error", "api"): 1}
    assert [s.value for s in families["ce_runs_hung"].samples if s.name.endswith("_total")] == [1]
    count = [s for s in families["ce_run_duration_seconds"].samples if s.name.endswith("_count")]
    assert count[0].value == 2  # the run that ended in error has no duration
    assert families["ce_queue_depth"].samples[0].value == 1
    assert {s.labels["domo_instance"]: s.value for s in families["ce_in_flight"].samples} == {
        "emulator": 1
    }
    ages = {
        s.labels["worker"]: s.value for s in families["ce_worker_heartbeat_age_seconds"].samples
    }
    assert ages["host:4"] >= 59
    assert families["ce_runs_stalled"].samples[0].value == 1


def test_metrics_answer_an_allowed_address_without_a_token(client, settings, busy):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [__import__("ipaddress").ip_network("127.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403


def test_behind_a_reverse_proxy_metrics_judge_the_client_it_names(client, settings, busy):
    settings.METRICS_TOKEN = ""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.METRICS_ALLOWED_NETWORKS = [__import__("ipaddress").ip_network("10.0.0.0/24")]
    # Every request comes from the proxy on this machine; the scraper is the one it names.
    proxied = {"REMOTE_ADDR": "127.0.0.1"}
    scraper = client.get("/metrics", HTTP_X_FORWARDED_FOR="10.0.0.9", **proxied)
    outsider = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxied)
    forged = client.get("/metrics", HTTP_X_FORWARDED_FOR="10.0.0.9, 203.0.113.5", **proxied)

    assert (scraper.status_code, outsider.status_code, forged.status_code) == (200, 403, 403)
