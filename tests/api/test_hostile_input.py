"""Hostile input to the write endpoints, on SQLite and PostgreSQL: hypothesis puts any
Unicode (NUL, lone surrogates escaped in JSON, right-to-left marks), huge and
non-finite numbers, far dates (0001-01-01, 9999-12-31) and impossible ones, deeply nested
JSON, any JSON value and oversized bodies into every field of the three write bodies and
into their path parameters; and hostile text and moments into every path and query
parameter of the reads.

Whatever comes in: no 5xx. A refusal is a 4xx problem+json (a 422 names the field at
fault) and stores nothing: the log's head does not move. An acceptance stores exactly one
event and the API reads back what was sent (after the model's own normalisation), on
either store. At the end the read model equals a rebuild from the log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from api_support import Demo, amendment, assert_problem, bearer, load_demo_via_ledger
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from integration.worked_history import read_model, rebuild

from api.bootstrap import Services
from api.schemas import AmendmentIn, RetractionIn

BODY_LIMIT = 16_384
EXAMPLES = 90
HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DEEP = 5_000  # beyond Python's recursion limit (1000)


@dataclass(frozen=True)
class Raw:
    """JSON text put into a body as is (what json.dumps cannot or will not write)."""

    text: str


RAW = [
    Raw("9" * 5000),  # beyond Python's int digit limit
    Raw("-" + "9" * 400),
    Raw("1e999999"),
    Raw("NaN"),
    Raw("-Infinity"),
    Raw("[" * DEEP + "]" * DEEP),
    Raw('{"a":' * DEEP + "1" + "}" * DEEP),
    Raw('"\\ud800"'),  # a lone surrogate, escaped
    Raw('"\\udfff\\ud800"'),
    Raw('"\\u0000"'),
    Raw('"a\\u0000b"'),
]
HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u200f\u200e",  # right-to-left override, marks
    "\u202eKamerstuk 19637\u202c",
    "\ufeff",
    "'; DROP TABLE stored_events; --",
    "../../etc/passwd",
    "%2e%2e%2f",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
]
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=30),  # surrogates included
    st.sampled_from(HOSTILE_STRINGS),
    # Oversized: beyond the body limit, beyond the field limits, or both.
    st.sampled_from([301, 5001, 9000, 20001, 40000]).map(lambda n: "é" * n),
)
NUMBER = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**62, 2**62 + 1, 2**63, 2**64, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
DAY = st.one_of(
    st.dates().map(dt.date.isoformat),  # 0001-01-01 .. 9999-12-31
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "0000-01-01",
            "10000-01-01",
            "2024-02-30",
            "2024-13-01",
            "-0001-01-01",
            "2025-01-01T00:00:00",
            "20250101",
        ]
    ),
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=10,
)
VALUE = st.one_of(TEXT, NUMBER, DAY, JSON_VALUE, st.sampled_from(RAW))

WRITES = {
    "amendments": [
        ("expected_version",),
        ("announced_on",),
        ("in_force_from",),
        ("attestation",),
        ("title",),
        ("rationale",),
        ("sources",),
        ("sources", 0, "kind"),
        ("sources", 0, "reference"),
        ("sources", 0, "date"),
        ("sources", 0, "url"),
        ("changes",),
        ("changes", 0, "type"),
        ("changes", 0, "group"),
        ("changes", 0, "category"),
        ("changes", 0, "label_nl"),
        ("author",),
        (),  # the whole body
    ],
    "in-force": [("in_force_from",), ("expected_version",), ("note",), ()],
    "retraction": [
        ("reason",),
        ("source",),
        ("source", "kind"),
        ("source", "reference"),
        ("source", "date"),
        ("expected_version",),
        ("note",),
        (),
    ],
}
PATHS = {
    "amendments": "/countries/{code}/amendments",
    "in-force": "/countries/{code}/amendments/{amendment_id}/in-force",
    "retraction": "/countries/{code}/amendments/{amendment_id}/retraction",
}


@dataclass
class Tally:
    tried: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def count(self, status: int) -> None:
        self.tried += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


def _encode(body: Any) -> bytes:
    """The body as JSON text with every Raw fragment spliced in as is."""
    raws: list[str] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(value, dict):
            return {k: placeholder(v) for k, v in value.items()}
        if isinstance(value, list):
            return [placeholder(v) for v in value]
        return value

    text = json.dumps(placeholder(body))  # ensure_ascii: lone surrogates go escaped
    for n, raw in enumerate(raws):
        text = text.replace(f'"@@raw{n}@@"', raw)
    return text.encode()


def _with(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


def _valid_body(kind: str, version: int | None) -> dict[str, Any]:
    if kind == "amendments":
        return amendment(expected_version=version)
    if kind == "in-force":
        return {"in_force_from": "2025-01-01", "expected_version": version}
    source = {"kind": "ecli", "reference": "ECLI:NL:RVS:2025:1", "date": "2025-02-01"}
    return {"reason": "entered in error", "source": source, "expected_version": version}


@pytest.fixture
def hostile(
    make_client: Callable[..., TestClient], open_ledger: Callable[..., Services]
) -> tuple[TestClient, Demo, Services]:
    writer = open_ledger()
    demo = load_demo_via_ledger(writer)
    return make_client(max_body_bytes=BODY_LIMIT), demo, writer


def _head(client: TestClient) -> int:
    ledger: Services = client.app.state.ledger  # type: ignore[attr-defined]
    return ledger.app.recorder.max_notification_id() or 0


def _check_accepted(client: TestClient, kind: str, content: bytes, reply: dict[str, Any]) -> None:
    """What was accepted reads back as the API's model reads it."""
    [entry] = [
        a
        for a in client.get("/countries/PK/timeline").json()["amendments"]
        if a["id"] == reply["amendment_id"]
    ]
    if kind == "amendments":
        sent = AmendmentIn.model_validate(json.loads(content)).draft().model_dump(mode="json")
        for key in ("announced_on", "in_force_from", "title", "rationale", "attestation"):
            assert entry[key] == sent[key], key
        assert entry["sources"] == sent["sources"]
        assert entry["changes"] == sent["changes"]
    elif kind == "in-force":
        assert entry["in_force_from"] == json.loads(content)["in_force_from"]
    else:
        sent = RetractionIn.model_validate(json.loads(content)).model_dump(mode="json")
        assert entry["status"] == "retracted"
        assert entry["retraction_reason"] == sent["reason"]
        assert entry["retraction_source"] == sent["source"]


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_hostile_bodies_get_a_problem_or_a_correct_answer_and_refusals_store_nothing(
    hostile: tuple[TestClient, Demo, Services],
    editor_token: str,
    figures: Callable[..., Any],
    kind: str,
) -> None:
    client, demo, writer = hostile
    tally = Tally()

    @HOSTILE
    @given(
        path=st.sampled_from(WRITES[kind]),
        value=VALUE,
        target=st.sampled_from([demo.decree, demo.letter, demo.attestation]),
    )
    def run(path: tuple[Any, ...], value: Any, target: str) -> None:
        version = writer.app.version_of("PK")
        body = _with(_valid_body(kind, version), path, value)
        content = _encode(body)
        before = _head(client)
        response = client.post(
            PATHS[kind].format(code="PK", amendment_id=target),
            content=content,
            headers={**bearer(editor_token), "Content-Type": "application/json"},
        )
        tally.count(response.status_code)
        assert response.status_code < 500, response.text
        if response.status_code == 201:
            assert _head(client) == before + 1
            _check_accepted(client, kind, content, response.json())
            return
        problem = assert_problem(response, response.status_code)
        assert response.status_code in (400, 404, 409, 413, 422), response.text
        if response.status_code == 422:
            assert all(e["field"].startswith(("body", "path")) for e in problem["errors"])
        assert _head(client) == before, "a refused write stored something"

    run()
    assert tally.statuses.get(422, 0) > 0
    figures(kind=kind, hostile_bodies_tried=tally.tried, statuses=tally.statuses)
    assert read_model(writer) == rebuild(writer)


PATH_VALUE = st.one_of(
    TEXT.filter(lambda t: 0 < len(t) < 300),
    st.sampled_from(["..", ".", "%2e%2e%2f", "..%2F..%2Fetc%2Fpasswd", "PK%00", "p\u200fk"]),
)


def test_hostile_path_parameters_are_refused_and_store_nothing(
    hostile: tuple[TestClient, Demo, Services],
    editor_token: str,
    figures: Callable[..., Any],
) -> None:
    client, demo, writer = hostile
    tally = Tally()

    @HOSTILE
    @given(
        kind=st.sampled_from(sorted(WRITES)),
        code=st.one_of(st.just("PK"), PATH_VALUE),
        amendment_id=st.one_of(st.just(demo.decree), PATH_VALUE),
    )
    def run(kind: str, code: str, amendment_id: str) -> None:
        if code == "PK" and amendment_id == demo.decree:
            code = "\x00"
        version = writer.app.version_of("PK")
        before = _head(client)
        response = client.post(
            PATHS[kind].format(
                code=quote(code, safe=""), amendment_id=quote(amendment_id, safe="")
            ),
            content=_encode(_valid_body(kind, version)),
            headers={**bearer(editor_token), "Content-Type": "application/json"},
        )
        tally.count(response.status_code)
        assert response.status_code < 500, response.text
        if response.status_code == 201:  # e.g. " pk" names Pakistan: a correct answer
            assert response.json()["country"] == "PK"
            assert _head(client) == before + 1
            return
        assert_problem(response, response.status_code)
        assert _head(client) == before, "a refused write stored something"

    run()
    figures(hostile_paths_tried=tally.tried, statuses=tally.statuses)
    assert read_model(writer) == rebuild(writer)


@pytest.mark.parametrize(
    ("kind", "path", "field"),
    [
        ("amendments", ("announced_on",), "body.announced_on"),
        ("amendments", ("in_force_from",), "body.in_force_from"),
        ("amendments", ("sources", 0, "date"), "body.sources.0.date"),
        ("in-force", ("in_force_from",), "body.in_force_from"),
    ],
)
@pytest.mark.parametrize("number", [0, 1732579200, 20241126, 1.5])
def test_a_number_for_a_date_is_422_not_a_unix_time(
    hostile: tuple[TestClient, Demo, Services],
    editor_token: str,
    kind: str,
    path: tuple[Any, ...],
    field: str,
    number: float,
) -> None:
    """Found by the run above: pydantic read `"in_force_from": 0` as 1970-01-01 and the
    ledger recorded it; 20241126 (a date without dashes) became 1970-08-23."""
    client, demo, _ = hostile
    before = _head(client)
    response = client.post(
        PATHS[kind].format(code="PK", amendment_id=demo.decree),
        content=_encode(_with(_valid_body(kind, demo.version), path, number)),
        headers={**bearer(editor_token), "Content-Type": "application/json"},
    )
    problem = assert_problem(response, 422, field)
    assert "YYYY-MM-DD" in problem["detail"]
    assert _head(client) == before


MOMENT = st.one_of(
    DAY,
    st.datetimes(timezones=st.timezones()).map(dt.datetime.isoformat),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",  # before the first representable UTC moment
            "9999-12-31T23:59:59-12:00",  # after the last
            "9999-12-31T23:59:59.999999Z",
            "2025-01-01T24:00:00",
            "2025-01-01T00:00:00+25:00",
        ]
    ),
)
READ_VALUE = st.one_of(
    st.sampled_from(HOSTILE_STRINGS), TEXT.filter(lambda t: len(t) < 300), MOMENT
)
READS = [
    ("/countries/{x}/policy", ()),
    ("/countries/PK/policy", ("on", "known_at")),
    ("/countries/PK/versions", ("known_at",)),
    ("/countries/PK/versions/{x}", ()),
    ("/countries/{x}/timeline", ("known_at",)),
    ("/countries/PK/history/{x}", ("known_at",)),
    ("/countries/PK/diff", ("from", "to", "known_at")),
]


def test_hostile_read_parameters_get_a_problem_or_an_answer(
    hostile: tuple[TestClient, Demo, Services], figures: Callable[..., Any]
) -> None:
    client, _, _ = hostile
    tally = Tally()
    before = _head(client)

    @HOSTILE
    @given(read=st.sampled_from(READS), value=READ_VALUE, data=st.data())
    def run(read: tuple[str, tuple[str, ...]], value: str, data: st.DataObject) -> None:
        template, names = read
        url = template.format(x=quote(value, safe=""))
        params = {n: data.draw(READ_VALUE, label=n) for n in names}
        if "{x}" not in template and names:
            params[names[0]] = value
        if "/diff" in url:
            params.setdefault("from", "2025-01-01")
            params.setdefault("to", "2025-02-01")
        response = client.get(url, params=params)
        tally.count(response.status_code)
        assert response.status_code < 500, (url, params, response.text)
        if response.status_code >= 400:
            assert_problem(response, response.status_code)
        else:
            assert isinstance(response.json(), dict)

    run()
    assert _head(client) == before
    figures(hostile_reads_tried=tally.tried, statuses=tally.statuses)


def _read_requests() -> list[tuple[str, dict[str, str]]]:
    """Every hostile string in every path and query parameter of every read."""
    requests = []
    for value in HOSTILE_STRINGS:
        for template, names in READS:
            base = {"from": "2025-01-01", "to": "2025-02-01"} if "/diff" in template else {}
            if "{x}" in template:
                requests.append((template.format(x=quote(value, safe="")), base))
            requests.extend((template.format(x="PK"), {**base, name: value}) for name in names)
    return requests


def test_every_hostile_string_in_every_read_parameter_gets_a_problem_or_an_answer(
    hostile: tuple[TestClient, Demo, Services], figures: Callable[..., Any]
) -> None:
    client, _, _ = hostile
    before = _head(client)
    tally = Tally()
    for url, params in _read_requests():
        response = client.get(url, params=params)
        tally.count(response.status_code)
        assert response.status_code < 500, (url, params, response.text)
        if response.status_code >= 400:
            assert_problem(response, response.status_code)
    assert _head(client) == before
    figures(hostile_reads_tried=tally.tried, statuses=tally.statuses)
