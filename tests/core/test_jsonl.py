"""ragtune.jsonl: one JSON object a line, named by file:line."""

import pytest

from ragtune import jsonl


class RowError(ValueError):
    pass


def test_rows_skip_blank_lines_and_name_each_row_by_file_and_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n  \r\n{"b": "x\u2028y"}\n', encoding="utf-8")
    assert list(jsonl.rows(path, RowError)) == [(f"{path}:1", {"a": 1}), (f"{path}:4", {"b": "x\u2028y"})]


@pytest.mark.parametrize(
    ("line", "message"),
    [('{"a": 1', "invalid JSON (Expecting ',' delimiter)"), ("[1, 2]", "a row must be a JSON object")],
)
def test_a_line_that_is_not_a_json_object_raises_the_callers_error(tmp_path, line, message):
    path = tmp_path / "rows.jsonl"
    path.write_text(f'{{"a": 1}}\n{line}\n', encoding="utf-8")
    with pytest.raises(RowError) as error:
        list(jsonl.rows(path, RowError))
    assert str(error.value) == f"{path}:2: {message}"


def test_text_already_read_is_used_instead_of_the_file(tmp_path):
    path = tmp_path / "never-read.jsonl"
    assert list(jsonl.rows(path, RowError, text='{"a": 1}\r{"a": 2}')) == [
        (f"{path}:1", {"a": 1}), (f"{path}:2", {"a": 2})]
