"""The hand-written rows the corpus builders read (corpora/sources/<group>/*.jsonl), checked by shape.

build_eval.py and build_instructions.py each describe their source files as {file name: fields},
fields being {name: spec}. A spec says what a value must be:

* a string (the field's description): a non-empty string;
* a tuple: one of those strings;
* a dict: an object with exactly those fields;
* a list of one spec: a non-empty list of values of that spec;
* OptionalField(spec): the field may be left out; when present it is spec;
* a callable f(value, where, name): f checks the value and returns it (or raises SourceError).

Strings come back NFC-normalised; the first wrong value is a SourceError naming file:line and field.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ragtune import jsonl
from ragtune.prompt import nfc


class SourceError(ValueError):
    """A hand-written row is unusable; the message names its file:line and the field."""


@dataclass(frozen=True)
class OptionalField:
    """A field a row may leave out; spec describes it when present."""
    spec: object


def checked(value, spec, where: str, name: str = ""):
    """value, NFC-normalised, if it has the shape spec describes (see above); else SourceError."""
    if isinstance(spec, OptionalField):
        return checked(value, spec.spec, where, name)
    if callable(spec):
        return spec(value, where, name)
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise SourceError(f"{where}: {f'field {name!r}' if name else 'a row'} must be a JSON object")
        prefix = f"{name}." if name else ""
        unknown = [key for key in value if key not in spec]
        if unknown:
            raise SourceError(f"{where}: unknown field '{prefix}{unknown[0]}'; fields: {', '.join(spec)}")
        missing = [key for key, field in spec.items() if key not in value and not isinstance(field, OptionalField)]
        if missing:
            raise SourceError(f"{where}: field '{prefix}{missing[0]}' is missing")
        return {key: checked(item, spec[key], where, prefix + key) for key, item in value.items()}
    if isinstance(spec, list):
        if not isinstance(value, list) or not value:
            raise SourceError(f"{where}: field '{name}' must be a non-empty list")
        return [checked(item, spec[0], where, f"{name}[{i}]") for i, item in enumerate(value)]
    if not isinstance(value, str) or not value.strip():
        raise SourceError(f"{where}: field '{name}' must be a non-empty string")
    if isinstance(spec, tuple) and value not in spec:
        raise SourceError(f"{where}: field '{name}' is {value!r}; expected one of {', '.join(spec)}")
    return nfc(value)


def check_folder(folder: Path, names: Iterable[str]) -> None:
    """SourceError unless folder holds each of the source files names and no other .jsonl file."""
    names = list(names)
    extra = sorted(p.name for p in folder.glob("*.jsonl") if p.name not in names)
    if extra:
        raise SourceError(f"{folder / extra[0]}: not a source file; the files are {', '.join(names)}")
    for name in names:
        if not (folder / name).is_file():
            raise SourceError(f"{folder / name}: not found; {folder} holds the files {', '.join(names)}")


def read_source(path: Path, fields: dict,
                problems: Callable[[dict], Iterator[tuple[str, str]]] = lambda row: ()) -> list[dict]:
    """The rows of one source file, checked against fields and then by problems(row), which yields
    (field, what is wrong); each row gets `where` (its file:line) added."""
    rows = []
    for where, raw in jsonl.rows(path, SourceError):
        row = checked(raw, fields, where)
        for field, problem in problems(row):
            raise SourceError(f"{where}: field '{field}' {problem}")
        rows.append({**row, "where": where})
    return rows
