"""Amendment files: many amendments in one YAML or JSON file, recorded all or nothing.

The format is a mapping with one key, `amendments`, a list of amendment drafts each with a
`country` (see data/pakistan.yaml). A file is checked whole before anything is stored, and
every problem names the amendment and the field at fault, so an editor can fix them in one
pass. Field paths index from 0, as in the file's JSON form (`amendments[2].changes[0]`);
the amendment's number, from 1, is given beside them for people.

A folder is loaded as one: its amendment files (`*.yaml`, `*.yml`, `*.json` directly in it,
hidden files aside), in name order, each checked as above and against the policies the
files before it leave, then all recorded in one transaction or none of them. A problem
names the file it is in. With `skip_loaded`, a file whose countries all have a recorded
policy already is skipped, so loading a folder again records nothing twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, TypeAdapter, ValidationError

from domain.application import PolicyLedger, Recorded
from domain.commands import AmendmentDraft
from domain.countries import country_code, country_code_value
from domain.domainmodel import CountryPolicy
from domain.errors import CountryNotFoundError, LedgerError
from domain.words import counted

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}
NESTED_TOO_DEEPLY = "the file is nested too deeply to be an amendment file"


class FileAmendment(AmendmentDraft):
    """An amendment as a file states it: a draft plus the country it amends."""

    country: Annotated[str, AfterValidator(country_code_value)]


_AMENDMENTS = TypeAdapter(list[FileAmendment])


@dataclass(frozen=True)
class Problem:
    message: str
    field: str | None = None
    number: int | None = None  # 1-based position of the amendment in the file
    name: str | None = None  # its title, or its first source reference

    def __str__(self) -> str:
        where = []
        if self.number is not None:
            where.append(f"amendment {self.number}" + (f" ({self.name!r})" if self.name else ""))
        if self.field:
            where.append(self.field)
        return ": ".join([*where, self.message])


class AmendmentFileError(Exception):
    """The file cannot be recorded; `problems` lists everything found wrong with it."""

    def __init__(self, path: str | Path, problems: Sequence[Problem]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: {counted(len(self.problems), 'problem')}\n{lines}")


def load_amendment_file(path: str | Path) -> list[tuple[str, AmendmentDraft]]:
    """The file's amendments as (country, draft) pairs, in file order; shape-checked only."""
    items = _amendment_items(path, _read(path))
    try:
        amendments = _AMENDMENTS.validate_python(items)
    except ValidationError as error:
        raise AmendmentFileError(path, [_problem(e, items) for e in error.errors()]) from None
    return [(a.country, a.draft()) for a in amendments]


def record_file(ledger: PolicyLedger, path: str | Path, author: str) -> list[Recorded]:
    """Loads the file, checks every amendment against the domain rules, and records them all.

    A race with another writer still surfaces as the ledger's VersionConflictError: the
    remedy is to run again, not to edit the file.
    """
    return record_path(ledger, path, author).recorded


@dataclass(frozen=True)
class Loaded:
    """What a load recorded, from which files, and the files it skipped as loaded already."""

    recorded: list[Recorded]
    files: list[Path]
    skipped: list[Path]


def amendment_files(folder: str | Path) -> list[Path]:
    """The folder's amendment files in name order: files directly in it (not in subfolders)
    whose suffix is .yaml, .yml or .json, hidden files (a leading dot) aside."""
    return sorted(
        (
            p
            for p in Path(folder).iterdir()
            if p.suffix.lower() in SUFFIXES and not p.name.startswith(".") and p.is_file()
        ),
        key=lambda p: p.name,
    )


def record_path(
    ledger: PolicyLedger, path: str | Path, author: str, *, skip_loaded: bool = False
) -> Loaded:
    """Records one amendment file, or every amendment file of a folder, all or nothing.

    Every file is read and checked first, in name order, each against the policies as the
    files before it leave them; only then is anything stored, in one transaction. The first
    file found wrong raises AmendmentFileError naming that file, and nothing is stored.
    With `skip_loaded`, a file is skipped when every country it amends has a recorded policy
    already; a file amending some loaded and some new countries is refused, as neither
    skipping nor loading it would be right.
    """
    files = amendment_files(path) if Path(path).is_dir() else [Path(path)]
    if not files:
        raise _file_error(path, "the folder holds no amendment files (*.yaml, *.yml, *.json)")
    batches: list[tuple[Path, list[tuple[str, AmendmentDraft]]]] = []
    skipped: list[Path] = []
    for file in files:
        drafts = load_amendment_file(file)
        if skip_loaded and _loaded_already(ledger, file, drafts):
            skipped.append(file)
        else:
            batches.append((file, drafts))
    policies: dict[str, CountryPolicy] = {}
    for file, drafts in batches:
        _dry_run(ledger, file, drafts, author, policies)
    everything = [draft for _, drafts in batches for draft in drafts]
    recorded = ledger.record_amendments(everything, author=author) if everything else []
    return Loaded(recorded, [file for file, _ in batches], skipped)


def _loaded_already(
    ledger: PolicyLedger, path: Path, drafts: list[tuple[str, AmendmentDraft]]
) -> bool:
    countries = sorted({country_code(country) for country, _ in drafts})
    loaded = [c for c in countries if ledger.version_of(c) is not None]
    if loaded and len(loaded) < len(countries):
        new = [c for c in countries if c not in loaded]
        raise _file_error(
            path,
            f"{', '.join(loaded)} already {'has' if len(loaded) == 1 else 'have'} a recorded "
            f"policy and {', '.join(new)} {'has' if len(new) == 1 else 'have'} not: a file "
            "is skipped as loaded only when all of its countries are",
        )
    return bool(countries) and len(loaded) == len(countries)


# Reading ------------------------------------------------------------------------------


def _read(path: str | Path) -> Any:
    kind = SUFFIXES.get(Path(path).suffix.lower())
    if kind is None:
        raise _file_error(path, f"unknown file type; use one of {', '.join(SUFFIXES)}")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:  # its message would name the path a second time
        raise _file_error(path, f"cannot read the file: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise _file_error(path, f"cannot read the file: {error}") from None
    return _parse_yaml(path, text) if kind == "yaml" else _parse_json(path, text)


def _parse_yaml(path: str | Path, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise _file_error(path, f"YAML syntax error at {where}{reason}") from None
    except RecursionError:
        raise _file_error(path, NESTED_TOO_DEEPLY) from None


def _parse_json(path: str | Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise _file_error(path, f"JSON syntax error at {where}: {error.msg}") from None
    except ValueError as error:  # a number too long to convert (Python's int digit limit)
        raise _file_error(path, f"JSON value cannot be read: {error}") from None
    except RecursionError:
        raise _file_error(path, NESTED_TOO_DEEPLY) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a repeated key, which YAML would resolve by dropping one, and
    reports a scalar Python cannot build (2024-02-30, a 5000-digit number) at its place."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except ValueError as error:
            text = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
            value = f"{text if len(text) <= 40 else text[:40] + '…'!r}: " if text else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"{value}{error}", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                break  # SafeLoader refuses it with its place
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _amendment_items(path: str | Path, document: Any) -> list[Any]:
    if not isinstance(document, Mapping):
        found = "an empty file" if document is None else f"a {type(document).__name__}"
        raise _file_error(path, f"the file must hold a mapping with `amendments`, not {found}")
    problems = [Problem(f"unknown key {k!r}", field=str(k)) for k in document if k != "amendments"]
    items = document.get("amendments")
    if isinstance(items, list) and not problems:
        return items
    if not isinstance(items, list):
        problems.append(Problem("must be a list of amendments", field="amendments"))
    raise AmendmentFileError(path, problems)


def _file_error(path: str | Path, message: str) -> AmendmentFileError:
    return AmendmentFileError(path, [Problem(message)])


# Problems -----------------------------------------------------------------------------


def _problem(error: Mapping[str, Any], items: list[Any]) -> Problem:
    index, *loc = error["loc"]
    item = items[index]
    return _located(index, item, _path(loc, item), error["msg"])


def _located(index: int, item: Any, field: str, message: str) -> Problem:
    return Problem(message, f"amendments[{index}]{field}", index + 1, _name_of(item))


def _path(loc: Sequence[int | str], item: Any) -> str:
    parts, node = [], item
    for part in loc:
        if isinstance(node, Mapping) and part not in node and node.get("type") == part:
            continue  # pydantic names the chosen member of the change union; the file does not
        parts.append(f"[{part}]" if isinstance(part, int) else f".{part}")
        node = _child(node, part)
    return "".join(parts)


def _child(node: Any, part: int | str) -> Any:
    if isinstance(node, Mapping):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _name_of(item: Any) -> str | None:
    if not isinstance(item, Mapping):
        return None
    if isinstance(item.get("title"), str):
        return str(item["title"])
    sources = item.get("sources")
    first = sources[0] if isinstance(sources, list) and sources else None
    reference = first.get("reference") if isinstance(first, Mapping) else None
    return reference if isinstance(reference, str) else None


# Domain rules -------------------------------------------------------------------------


def _dry_run(
    ledger: PolicyLedger,
    path: str | Path,
    drafts: list[tuple[str, AmendmentDraft]],
    author: str,
    policies: dict[str, CountryPolicy],
) -> None:
    """Applies the drafts to in-memory copies of the policies, never saved.

    The ledger's own batch check stops at the first bad draft without saying which one;
    replaying the drafts here, in file order, tells the editor where the problem is.
    `policies` carries the copies from one file to the next of a folder.
    """
    for index, (country, draft) in enumerate(drafts):
        try:
            code = country_code(country)
            if code not in policies:
                policies[code] = _policy(ledger, code)
            policies[code].record_amendment(draft, author, ledger.clock())
        except LedgerError as error:
            item = draft.model_dump(mode="json")
            field = _dotted_to_path(error.field)
            raise AmendmentFileError(
                path, [_located(index, item, field, f"{error.title}: {error.detail}")]
            ) from None


def _policy(ledger: PolicyLedger, code: str) -> CountryPolicy:
    try:
        return ledger.policy(code)
    except CountryNotFoundError:
        return CountryPolicy.open(code, ledger.clock())


def _dotted_to_path(field: str | None) -> str:
    if not field:
        return ""
    return "".join(f"[{p}]" if re.fullmatch(r"\d+", p) else f".{p}" for p in field.split("."))
