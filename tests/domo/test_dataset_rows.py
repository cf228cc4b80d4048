"""A DataSet's rows through Domo's query API: against the emulator over loopback (pages,
the limit, exact numbers), and every hostile reply turned into a sentence."""

import pytest

from codeengine_ui.demo.emulator import DEMO_DATASET_ROWS
from codeengine_ui.domo.client import CodeEngineClient
from codeengine_ui.domo.dataset_rows import DataSetReadError, read_dataset_rows
from tests.conftest import ANALYST_TOKEN, DEVELOPER_TOKEN, reply

PAIRS = "9b1c4e2a-0000-4000-8000-000000000006"
TYPED = "9b1c4e2a-0000-4000-8000-000000000007"
NOT_INDEXED = "9b1c4e2a-0000-4000-8000-000000000000"


def test_rows_are_read_a_page_at_a_time_up_to_the_limit(emulator, monkeypatch):
    monkeypatch.setattr("codeengine_ui.domo.dataset_rows.PAGE_ROWS", 7)
    client = CodeEngineClient(emulator.url, DEVELOPER_TOKEN)

    found = read_dataset_rows(client, PAIRS, limit=30)
    everything = read_dataset_rows(client, PAIRS, limit=100)

    assert found.columns == ["a", "b"] and found.types == ["LONG", "LONG"]
    assert found.rows == DEMO_DATASET_ROWS[PAIRS]["rows"][:30] and found.more
    assert len(everything.rows) == 40 and not everything.more


def test_values_keep_their_digits_nulls_and_line_breaks(emulator):
    found = read_dataset_rows(CodeEngineClient(emulator.url, DEVELOPER_TOKEN), TYPED, limit=10)

    assert found.rows[0][:3] == ["Line one\nline two", 42, 0.1]
    assert found.rows[1][1:3] == [9007199254740993, "12345.678901234567890"]
    assert found.rows[2][0] is None


@pytest.mark.parametrize(
    ("dataset", "token", "message"),
    [
        (NOT_INDEXED, DEVELOPER_TOKEN, "no indexed schema for this DataSet yet"),
        ("9b1c4e2a-0000-4000-8000-00000000ffff", DEVELOPER_TOKEN, "no DataSet with this id"),
        (PAIRS, ANALYST_TOKEN, "may not read this DataSet"),
    ],
)
def test_refusals_are_said_of_the_dataset(emulator, dataset, token, message):
    with pytest.raises(DataSetReadError) as raised:
        read_dataset_rows(CodeEngineClient(emulator.url, token), dataset, limit=10)

    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        ("200 OK", b"<html>busy</html>", "not readable JSON"),
        ("200 OK", b"[1, 2]", "other than an object of columns and rows"),
        ("200 OK", b'{"columns": ["a"], "rows": [[1, 2]]}', "Row 1 of Domo's answer is not"),
        ("200 OK", b'{"columns": [1], "rows": []}', "no list of column names"),
        ("200 OK", b'{"columns": ["a"], "rows": {}}', "no list of rows"),
        ("429 Too Many Requests", b"{}", "limiting the rate of queries (HTTP 429)"),
    ],
)
def test_hostile_replies_become_sentences(raw_server, status, body, message):
    client = CodeEngineClient(raw_server(reply(status, body)).url, DEVELOPER_TOKEN, timeout=5)

    with pytest.raises(DataSetReadError) as raised:
        read_dataset_rows(client, PAIRS, limit=10)

    assert message in str(raised.value)
