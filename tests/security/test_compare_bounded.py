"""Comparing two runs draws a bounded page, however large their results."""

import pytest

from tests.conftest import save_demo_function, stored_run

pytestmark = pytest.mark.django_db


def test_two_large_results_are_compared_in_a_page_of_bounded_size(
    client, viewer, instance, developer_token, member
):
    large = save_demo_function(instance, developer_token, "largeResult")
    rows = [{"row": index, "label": f"Row number {index}"} for index in range(50_000)]
    big = stored_run(large, developer_token, member, status="SUCCESS", result=rows)
    small = stored_run(large, developer_token, member, status="SUCCESS", result=rows[:1])
    client.force_login(viewer)

    page = client.get("/executions/compare/", {"a": big.pk, "b": small.pk}).content.decode()

    assert len(page) < 1_000_000
    assert "And 49499 more differences." in page
    assert f'Too large to show beside the other: <a href="/executions/{big.pk}/">' in page
