"""Filters every template may use: code spans in descriptions, dates in words."""

from django.utils import timezone

from codeengine_ui.page_parts import code_spans, date_in_words


def test_code_spans_are_shown_as_code_and_everything_else_is_escaped():
    html = code_spans("Sums `a` and `b` <script>alert(1)</script> `<b>`")

    assert html == (
        "Sums <code>a</code> and <code>b</code> &lt;script&gt;alert(1)&lt;/script&gt; "
        "<code>&lt;b&gt;</code>"
    )
    assert code_spans("an `unclosed span") == "an `unclosed span"


def test_an_iso_date_from_domo_reads_in_words_in_the_viewer_s_zone():
    with timezone.override("Europe/Paris"):
        html = date_in_words("2026-03-04T13:05:00.000Z")

    assert ">4 Mar 2026, 14:05</time>" in html
    assert 'title="2026-03-04T13:05:00.000Z"' in html
    assert date_in_words("not a date <b>") == "not a date <b>"
    assert date_in_words(None) == "—"
