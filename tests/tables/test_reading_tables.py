"""Reading a table from a file: CSV (any separator a spreadsheet writes), JSON Lines,
UTF-8 with or without a BOM, and a clear message with the line for anything malformed."""

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeengine_ui.tables.reading import TableUnreadable, read_table

pytestmark = pytest.mark.django_db


def test_a_csv_keeps_each_cell_as_written_line_breaks_and_seconds_included():
    content = b'name,at\r\n"Ada\r\nLovelace",14:30:05\r\nGrace,09:00:00\r\n'

    table, kind = read_table("people.csv", content)

    assert kind == "csv"
    assert table.columns == ["name", "at"]
    assert table.rows == [["Ada\r\nLovelace", "14:30:05"], ["Grace", "09:00:00"]]
    assert table.lines == [2, 4]


def test_a_bom_is_not_part_of_the_first_column_name():
    table, _ = read_table("people.csv", "\ufeffname\nAda\n".encode())

    assert table.columns == ["name"]


def test_a_semicolon_separated_file_is_read_as_such():
    table, _ = read_table("prices.csv", b"sku;price\nA-1;1,5\n")

    assert table.rows == [["A-1", "1,5"]]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.csv", b"name,age\nAda,36,extra\n", "Line 2 has 3 cells, but the header names 2"),
        ("a.csv", b'name\n"Ada\n', "is not valid CSV"),
        ("a.csv", b"name,name\nAda,Ada\n", "two columns \u201cname\u201d (columns 1 and 2)"),
        ("a.csv", b"name,\nAda,1\n", "leaves column 2 without a name"),
        ("a.csv", b"", "The file is empty"),
        ("a.csv", b"name\nAd\xe9\n", "Line 2 has a byte (0xE9) that UTF-8 text does not use"),
        ("a.csv", b"\xff\xfen\x00a\x00", "UTF-16"),
        ("a.jsonl", b'{"name": "Ada"}\n{"name": \n', "Line 2 is not JSON"),
        ("a.jsonl", b'{"name": "Ada"}\n[1, 2]\n', "Line 2 is a list"),
        ("a.jsonl", b'{"n": NaN}\n', "Line 1 is not JSON"),
        ("a.jsonl", b"\n\n", "holds no rows"),
    ],
)
def test_a_malformed_file_says_what_and_where(name, content, message):
    with pytest.raises(TableUnreadable) as raised:
        read_table(name, content)

    assert message in str(raised.value)


def test_a_table_past_the_row_limit_is_refused(settings):
    settings.TABLE_MAX_ROWS = 3

    with pytest.raises(TableUnreadable) as raised:
        read_table("a.csv", b"n\n1\n2\n3\n4\n")

    assert "more than 3 rows (TABLE_MAX_ROWS)" in str(raised.value)


def test_json_lines_keep_numbers_exactly_and_name_columns_in_order_first_seen():
    content = b'{"a": 12345678901234567890, "b": 0.1}\n\n{"c": 0.30000000000000000001}\n'

    table, kind = read_table("rows.jsonl", content)

    assert kind == "jsonl"
    assert table.columns == ["a", "b", "c"]
    assert table.rows == [[12345678901234567890, 0.1, None], [None, None, "0.30000000000000000001"]]
    assert table.lines == [1, 3]


def test_json_lines_end_only_at_line_feeds():
    content = '{"text": "a\u2028b\u0085c"}\r\n{"text": "ok"}\n'.encode()

    table, _ = read_table("rows.jsonl", content)

    assert table.rows == [["a\u2028b\u0085c"], ["ok"]]


cell_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(cell_text, min_size=2, max_size=2), min_size=1, max_size=5),
       bom=st.booleans())  # fmt: skip
def test_any_csv_a_writer_makes_reads_back_cell_for_cell(rows, bom):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["first", "second"])
    writer.writerows(rows)
    content = ("\ufeff" if bom else "") + buffer.getvalue()

    table, _ = read_table("t.csv", content.encode())

    assert table.rows == rows


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.dictionaries(st.sampled_from(["a", "b", "c"]),
                                     st.one_of(cell_text, st.integers(), st.none()),
                                     min_size=1), min_size=1, max_size=5))  # fmt: skip
def test_any_json_lines_read_back_value_for_value(rows):
    # As written by tools that keep text as it is: U+2028, U+0085 and the like stay raw.
    content = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()

    table, _ = read_table("t.jsonl", content)

    for row, cells in zip(rows, table.rows, strict=True):
        assert {column: cells[i] for i, column in enumerate(table.columns) if column in row} == row
