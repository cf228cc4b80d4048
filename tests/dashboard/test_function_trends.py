"""The function list shows each function's recent durations and failures."""

import re
from datetime import timedelta

from django.utils import timezone

from codeengine_ui.runs.models import ExecutionStatus
from tests.conftest import save_demo_function


def test_each_function_shows_its_last_runs(
    member_client, greet, record_run, instance, developer_token
):
    add = save_demo_function(instance, developer_token, "addNumbers")
    start = timezone.now() - timedelta(hours=30)
    runs = [
        record_run(start + timedelta(minutes=n), status, seconds)
        for n, (status, seconds) in enumerate(
            [(ExecutionStatus.SUCCESS, 1)] * 20
            + [
                (ExecutionStatus.FAILED, 4),
                (ExecutionStatus.ERROR, None),
                (ExecutionStatus.SUCCESS, 2),
            ]
        )
    ]
    record_run(timezone.now(), ExecutionStatus.RUNNING)  # not finished: not in the trend

    html = member_client.get("/functions/").content.decode()

    greet_card = re.search(
        rf'href="/functions/{greet.pk}/run/">Greet someone</a>(.*?)</li>', html, re.S
    )
    card = greet_card.group(1)
    points = re.findall(r'<a href="([^"]+)" tabindex="-1"><title>([^<]+)</title>', card)
    # The last 20 finished runs; the error has no duration, so no point, but it counts.
    assert len(points) == 19
    assert points[-1] == (
        f"/executions/?function={greet.pk}&amp;before={runs[-1].pk + 1}",
        f"Run #{runs[-1].pk} succeeded, 2.0 s",
    )
    assert points[-2][1] == f"Run #{runs[-3].pk} did not succeed, 4.0 s"
    assert "10% failed, last 20 runs" in card
    assert card.count('class="point-failed"') == 1
    add_card = re.search(
        rf'href="/functions/{add.pk}/run/">Add two numbers</a>(.*?)</li>', html, re.S
    )
    assert "No runs yet" in add_card.group(1)


def test_a_point_opens_the_history_at_its_run(member_client, greet, record_run):
    older = record_run(timezone.now() - timedelta(minutes=2), ExecutionStatus.SUCCESS, 1)
    record_run(timezone.now() - timedelta(minutes=1), ExecutionStatus.SUCCESS, 1)

    response = member_client.get(f"/executions/?function={greet.pk}&before={older.pk + 1}")

    assert [execution.pk for execution, _ in response.context["rows"]] == [older.pk]
