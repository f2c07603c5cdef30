"""Web pages: server-rendered HTML over the same queries as the JSON API.

Paths (none is in the OpenAPI document, and none is a path of the JSON API):

- `/` — the countries with a policy;
- `/countries/{code}?on=&known_at=` — the policy in force on a date, as recorded at a moment;
- `/countries/{code}/chart?from=&to=&known_at=` — the timeline chart;
- `/countries/{code}/changes?from=&to=&known_at=` — what differs between two dates;
- `/countries/{code}/amendments/{id}?known_at=` — one amendment;
- `/audits/new` — a form to upload decisions (GET) and the HTML audit report (POST).

Every page takes `?lang=nl` (Dutch; English by default) and keeps it in its links. Reads
follow the API's rule (`read_requires_token`); errors are HTML pages with the same status
codes the API would give (401, 404, 413, 422), never a 500 for bad input.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.routing import APIRoute
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from api.bootstrap import Services
from api.deps import audit_client, authorize_audit, authorize_read
from api.problems import STATUS_OF
from api.timeparse import MomentError, parse_date, parse_moment
from api.web import chart as charts
from api.web.describe import (
    GROUP_CATEGORIES,
    Labels,
    act_word,
    change_text,
    direction,
    element_name,
    place_words,
    topic_name,
    value_text,
)
from api.web.i18n import (
    local_country_name,
    local_region_name,
    pick_lang,
    translator,
)
from domain.countries import country_code
from domain.errors import AmendmentNotFoundError, LedgerError
from domain.places import element_id, parse_element
from domain.words import LANGS, Lang, long_date, long_moment
from projections.queries import Place, PolicyQueries
from projections.templating import environment

Doc = dict[str, Any]
log = logging.getLogger("policy_ledger.pages")

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "pages"
ENVIRONMENT = environment(TEMPLATES)
UPLOAD_SUFFIXES = (".csv", ".jsonl", ".ndjson")
RECENT_DAYS_TRIED = 20  # in-force dates the changes page tries for its default span


class Page:
    """What every template needs of the request: its language, words and links."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.lang: Lang = pick_lang(request.query_params.get("lang"))
        self.other_lang: Lang = LANGS[1 - LANGS.index(self.lang)]
        self.t = translator(self.lang)

    def link(self, path: str, **params: Any) -> str:
        """A page's URL with its query, keeping the language; None values are left out."""
        query = {k: v for k, v in params.items() if v not in (None, "")}
        if self.lang != "en":
            query["lang"] = self.lang
        return f"{path}?{urlencode(query)}" if query else path

    @property
    def switch_url(self) -> str:
        """This page in the other language."""
        query = dict(self.request.query_params)
        query.pop("lang", None)
        if self.other_lang != "en":
            query["lang"] = self.other_lang
        path = self.request.url.path
        return f"{path}?{urlencode(query)}" if query else path

    def date(self, value: Any) -> str:
        return long_date(value, self.lang)

    def moment(self, value: Any) -> str:
        return long_moment(value, self.lang)

    def country(self, code: str) -> str:
        return local_country_name(code, self.lang)

    def region(self, code: str) -> str:
        return local_region_name(code, self.lang)

    def known(self, text: str | None) -> str:
        """How a page's `known_at` reads: now, the end of a day (UTC), or a moment."""
        if not text:
            return self.t("as_known_now")
        moment = parse_moment(text, name="known_at")
        if len(text.strip()) == 10:
            return self.t("as_known_end_of", date=self.date(text.strip()))
        return f"{self.t('as_known_at')} {self.moment(moment)} ({self.t('amsterdam_time')})"

    def act(self, action: str) -> str:
        return act_word(action, self.lang)


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    page = Page(request)
    context.setdefault("active", "")
    html = ENVIRONMENT.get_template(template).render(
        page=page, t=page.t, now=dt.datetime.now(dt.UTC), **context
    )
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, error: Exception) -> Response:
    """An HTML page for what the API would answer as problem+json."""
    page = Page(request)
    headers: Mapping[str, str] | None = None
    if isinstance(error, HTTPException):
        status, detail, headers = error.status_code, str(error.detail), error.headers
    elif isinstance(error, LedgerError):
        status = next(code for kind, code in STATUS_OF if isinstance(error, kind))
        detail = error.detail
    elif isinstance(error, MomentError):
        status, detail = 422, str(error)
    elif isinstance(error, RequestValidationError):
        status = 422
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
    else:
        log.exception("unhandled error on page %s", request.url.path, exc_info=error)
        status, detail = 500, page.t("error_500_text")
    if status == 401:
        detail = page.t("error_401_text")
    key = f"error_{status}"
    title = page.t(key) if key in _ERROR_TITLES else page.t("error_other")
    response = render(
        request, "error.html", status_code=status, status=status, title=title, detail=detail
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_ERROR_TITLES = {"error_400", "error_401", "error_404", "error_413", "error_422", "error_500"}


class PageRoute(APIRoute):
    """A route whose errors are HTML pages, not problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as error:
                return error_page(request, error)

        return page_handler


router = APIRouter(include_in_schema=False, route_class=PageRoute)


# Reading --------------------------------------------------------------------------------


def _queries(request: Request) -> PolicyQueries:
    """Queries caught up with the log, after the read rule is checked."""
    authorize_read(request)
    ledger: Services = request.app.state.ledger
    return ledger.reads.queries()


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def _place(request: Request) -> Place | None:
    """The place the country page is asked for: a region, and areas (repeated, or one field
    separated by commas); None for the whole country."""
    region = _param(request, "region")
    areas = [a.strip() for value in request.query_params.getlist("area") for a in value.split(",")]
    named = tuple(dict.fromkeys(a for a in areas if a))
    if region is None and not named:
        return None
    return Place(region.upper() if region else None, named)


def _place_query(place: Place | None) -> dict[str, Any]:
    if place is None:
        return {}
    return {
        **({"region": place.region} if place.region else {}),
        **({"area": list(place.areas)} if place.areas else {}),
    }


def _place_text(place: Place, lang: Lang) -> str:
    names = [place_words(place.region, lang)] if place.region else []
    return ", ".join(names + [place_words(f"area:{a}", lang) for a in place.areas])


def _day(request: Request, name: str) -> dt.date | None:
    value = _param(request, name)
    return parse_date(value, name=name) if value is not None else None


def _known_at(request: Request) -> dt.datetime | None:
    value = _param(request, "known_at")
    return parse_moment(value, name="known_at") if value is not None else None


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _country_path(code: str, *rest: str) -> str:
    return "/".join(["/countries", quote(code, safe=""), *(quote(r, safe="") for r in rest)])


# Pages ----------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> Response:
    queries = _queries(request)
    return render(request, "index.html", countries=queries.countries(), active="countries")


@router.get("/countries/{code}", response_class=HTMLResponse)
def country(request: Request, code: str) -> Response:
    queries = _queries(request)
    code = country_code(code)
    page = Page(request)
    on, known_at = _day(request, "on") or _today(), _known_at(request)
    published_by = _day(request, "published_by")
    moment = known_at or dt.datetime.now(dt.UTC)
    place = _place(request)
    if published_by is None:
        doc = queries.policy(code, on, moment, place)
    else:
        doc = queries.published_policy(code, on, moment, published_by, place)
    versions = queries.versions(code, moment, published_by)["versions"]
    labels: Labels = {g["id"]: g for g in [*doc["groups"], *doc["declined_groups"]]}
    amendment_link = _amendment_link(page, code, known_at)
    sections = _sections(doc, page.lang, labels, amendment_link) if doc["coverage"] else []
    timeline = queries.timeline(code, moment, published_by)["amendments"]
    references = _references(sections, timeline, amendment_link)
    return render(
        request,
        "country.html",
        code=code,
        doc=doc,
        on=on,
        known_at=known_at,
        known_at_text=_param(request, "known_at") or "",
        region_text=place.region if place and place.region else "",
        areas_text=", ".join(place.areas) if place else "",
        place_text=_place_text(place, page.lang) if place else None,
        published_by_text=_param(request, "published_by") or "",
        first_covered=versions[0]["valid_from"] if versions else None,
        blocks=_blocks(sections),
        references=references,
        pending=[
            {**p, "href": amendment_link(p["id"]), "sources": _sources(p["sources"])}
            for p in doc["pending"]
        ],
        attested=[
            {
                **a,
                "name": element_name(a["element"], page.lang, {**labels, **_attested_labels(doc)}),
                "text": value_text(a["element"], a["value"], page.lang),
                "href": amendment_link(a["amendment"]),
            }
            for a in doc["attested_later"]
        ],
        fixed_link=page.link(
            _country_path(code),
            on=on.isoformat(),
            known_at=doc["known_at"],
            published_by=doc.get("published_by"),
        ),
        json_link=f"{_country_path(code, 'policy')}?"
        + urlencode(
            {"on": on.isoformat(), "known_at": doc["known_at"], **_place_query(place)}
            | ({"published_by": doc["published_by"]} if "published_by" in doc else {}),
            doseq=True,
        ),
        version_link=_country_path(code, "versions", doc["version_id"])
        if doc["version_id"]
        else None,
        active="country",
    )


@router.get("/countries/{code}/chart", response_class=HTMLResponse)
def chart(request: Request, code: str) -> Response:
    queries = _queries(request)
    code = country_code(code)
    page = Page(request)
    known_at = _known_at(request)
    moment = known_at or dt.datetime.now(dt.UTC)
    published_by = _day(request, "published_by")
    histories = queries.histories(code, moment, published_by)["elements"]
    amendments = queries.timeline(code, moment, published_by)["amendments"]
    today = _today()
    first, last = charts.data_span(histories, amendments)
    whole = charts.default_range(first, last, today, to_today=True)
    around = charts.default_range(first, last, today, to_today=False)
    start, end = _day(request, "from") or whole[0], _day(request, "to") or whole[1]
    if end <= start:
        raise MomentError(f"to: '{end}' must be after from: '{start}'")
    labels = _group_labels(histories)
    amendment_link = _amendment_link(page, code, known_at)
    drawn = charts.timeline_chart(
        histories,
        amendments,
        start=start,
        end=end,
        today=today,
        lang=page.lang,
        labels=labels,
        amendment_href=amendment_link,
    )
    known = _param(request, "known_at")
    published = published_by.isoformat() if published_by else None
    return render(
        request,
        "chart.html",
        code=code,
        name=page.country(code),
        chart=drawn,
        start=start,
        end=end,
        known_at=known_at,
        known_at_text=known or "",
        published_by_text=published or "",
        whole_link=page.link(_country_path(code, "chart"), known_at=known, published_by=published),
        around_link=page.link(
            _country_path(code, "chart"),
            known_at=known,
            published_by=published,
            **{"from": around[0].isoformat(), "to": around[1].isoformat()},
        ),
        active="chart",
    )


@router.get("/countries/{code}/changes", response_class=HTMLResponse)
def changes(request: Request, code: str) -> Response:
    queries = _queries(request)
    code = country_code(code)
    page = Page(request)
    known_at = _known_at(request)
    moment = known_at or dt.datetime.now(dt.UTC)
    published_by = _day(request, "published_by")
    first, second = _day(request, "from"), _day(request, "to")
    if first is None or second is None:
        default_first, default_second = _recent_change(queries, code, moment, published_by)
        first, second = first or default_first, second or default_second
    doc = queries.diff(code, first, second, moment, published_by)
    labels = _group_labels_of_values(
        {c["element"]: [c["before"], c["after"]] for c in doc["changes"]}
    )
    amendment_link = _amendment_link(page, code, known_at)
    # Each amendment and its sources once, under the table; rows cite them by number.
    cited: dict[str, Doc] = {}
    for c in doc["changes"]:
        if c["amendment"]:
            cited.setdefault(c["amendment"]["id"], c["amendment"])
    number = {key: n for n, key in enumerate(cited, start=1)}
    rows = []
    for c in doc["changes"]:
        element, amendment = c["element"], c["amendment"]
        moved = direction(element, c["before"], c["after"])
        rows.append(
            {
                "element": element,
                "name": element_name(element, page.lang, labels),
                "kind": page.t(f"kind_{c['kind']}"),
                "kind_key": c["kind"],
                "before": value_text(element, c["before"], page.lang) if c["before"] else "—",
                "after": value_text(element, c["after"], page.lang) if c["after"] else "—",
                "direction": page.t(moved) if moved else None,
                "amendment": {
                    "title": amendment["title"] or amendment["id"],
                    "ref": number[amendment["id"]],
                }
                if amendment
                else None,
            }
        )
    references = [
        {
            "n": number[key],
            "id": key,
            "href": amendment_link(key),
            "title": a["title"] or key,
            "in_force_from": None,
            "sources": _sources(a["sources"]),
        }
        for key, a in cited.items()
    ]
    return render(
        request,
        "changes.html",
        code=code,
        name=page.country(code),
        first=first,
        second=second,
        known_at=known_at,
        known_at_text=_param(request, "known_at") or "",
        published_by_text=published_by.isoformat() if published_by else "",
        rows=rows,
        references=references,
        json_link=_country_path(code, "diff")
        + "?"
        + urlencode(
            {"from": first.isoformat(), "to": second.isoformat(), "known_at": doc["known_at"]}
            | ({"published_by": published_by.isoformat()} if published_by else {})
        ),
        active="changes",
    )


@router.get("/countries/{code}/amendments/{amendment_id}", response_class=HTMLResponse)
def amendment(request: Request, code: str, amendment_id: str) -> Response:
    queries = _queries(request)
    code = country_code(code)
    page = Page(request)
    known_at = _known_at(request)
    moment = known_at or dt.datetime.now(dt.UTC)
    entries = queries.timeline(code, moment)["amendments"]
    entry = next((a for a in entries if a["id"] == amendment_id), None)
    if entry is None:
        when = f" as recorded at {moment.isoformat()}" if known_at else ""
        raise AmendmentNotFoundError(
            f"{code} has no amendment {amendment_id}{when}", field="amendment_id"
        )
    histories = queries.histories(code, moment)["elements"]
    labels = _group_labels(histories)
    described = [change_text(c, page.lang, labels) for c in entry["changes"]]
    for d in described:
        d["chart"] = (
            page.link(_country_path(code, "chart"), known_at=_param(request, "known_at"))
            + f"#lane-{d['element']}"
        )
    return render(
        request,
        "amendment.html",
        code=code,
        name=page.country(code),
        a=entry,
        known_at=known_at,
        changes=described,
        known_at_text=_param(request, "known_at") or "",
        source_rows=_sources(entry["sources"]),
        publications=_publications(entry),
        policy_link=page.link(
            _country_path(code), on=entry["in_force_from"], known_at=_param(request, "known_at")
        )
        if entry["in_force_from"]
        else None,
        json_link=_country_path(code, "timeline"),
        active="amendment",
    )


def _publications(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """When each act about the amendment was published (what `published_by` counts): the
    amendment on its `announced_on`; an in-force date stated with it, with it; one recorded
    later, and a retraction, on the date stated for them, or where none was stated on the UTC
    day they were recorded (the default of domain.records.AmendmentRecord.*_published_on)."""
    acts = [{"act": "amendment", "on": entry["announced_on"], "how": "stated"}]
    if entry["in_force_recorded_at"]:
        acts.append(
            _published(
                "in_force", entry.get("in_force_announced_on"), entry["in_force_recorded_at"]
            )
        )
    elif entry["in_force_from"]:
        acts.append({"act": "in_force", "on": entry["announced_on"], "how": "with_amendment"})
    if entry["retracted_at"]:
        acts.append(
            _published("retraction", entry.get("retraction_announced_on"), entry["retracted_at"])
        )
    return acts


def _published(act: str, stated: str | None, recorded_at: str) -> dict[str, Any]:
    if stated:
        return {"act": act, "on": stated, "how": "stated"}
    day = dt.datetime.fromisoformat(recorded_at).astimezone(dt.UTC).date().isoformat()
    return {"act": act, "on": day, "how": "recorded"}


@router.get("/favicon.ico")
def favicon() -> Response:
    """No icon: browsers ask for one on pages that name none (the audit report)."""
    return Response(status_code=204)


# Audits ---------------------------------------------------------------------------------


@router.get("/audits/new", response_class=HTMLResponse)
def audit_form(request: Request) -> Response:
    authorize_read(request)
    return _form(request)


def _form(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    settings = request.app.state.settings
    size = _size(settings.max_body_bytes, Page(request).lang)
    return render(
        request,
        "audit_new.html",
        status_code=status,
        error=error,
        size=size,
        review_text=_param(request, "review_date") or "",
        active="audit",
    )


@router.post("/audits/new")
async def audit_upload(request: Request) -> Response:
    """Audits the uploaded file and answers with the HTML report (nothing is stored)."""
    from projections.audit.reading import DecisionFileError

    page = Page(request)
    try:
        who = authorize_audit(request)
    except HTTPException as error:
        if error.status_code != 401:
            raise
        return _form(request, 401, page.t("audit_needs_token"))
    try:
        form = await request.form(max_files=1, max_fields=4)
    except HTTPException as error:  # 413 from the body limit, 400 for a malformed body
        size = _size(request.app.state.settings.max_body_bytes, page.lang)
        detail = page.t("audit_too_large", size=size) if error.status_code == 413 else None
        return _form(request, error.status_code, detail or str(error.detail))
    upload = form.get("decisions")
    review_raw = form.get("review_date")
    review_text = review_raw.strip() if isinstance(review_raw, str) else ""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _form(request, 422, page.t("audit_no_file"))
    try:
        review = parse_date(review_text, name="review_date") if review_text else _today()
    except MomentError as error:
        return _form(request, 422, str(error))
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        message = f"unknown file type '{suffix or upload.filename}'; use one of "
        return _form(request, 422, message + ", ".join(UPLOAD_SUFFIXES))
    folder = Path(tempfile.mkdtemp(prefix="policy-ledger-audit-"))
    try:
        source = folder / f"decisions{suffix}"
        with source.open("wb") as out:
            while chunk := await upload.read(1 << 16):
                out.write(chunk)
        ledger: Services = request.app.state.ledger
        with request.app.state.audit_limit.hold(audit_client(request, who)):
            report = await run_in_threadpool(_audit_file, ledger, source, review, folder)
    except DecisionFileError as error:
        shutil.rmtree(folder, ignore_errors=True)
        return _form(request, 422, error.message)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        report,
        media_type="text/html; charset=utf-8",
        content_disposition_type="inline",
        filename=f"audit-report-{review.isoformat()}.html",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def _audit_file(ledger: Services, source: Path, review: dt.date, folder: Path) -> Path:
    """As `policy-ledger audit FILE -o report.html` does: the report's path."""
    from projections.audit.judging import Auditor, StoredStates
    from projections.audit.reading import read_decisions
    from projections.audit.reports import HtmlReport
    from projections.audit.stream import audit_rows

    index = ledger.reads.index()
    auditor = Auditor(StoredStates(index), review)
    rows = read_decisions(source)  # a file that cannot be read fails here, before any row
    path = folder / "report.html"
    # Signed like every report: the digest of the ledger this audit read.
    seal = ledger.verified_seal(index.position, index.digest)
    with HtmlReport(path, seal, tally=auditor.summary) as report:
        audit_rows(auditor, rows, report)
    return path


def _size(limit: int, lang: Lang) -> str:
    if limit >= 1_000_000:
        amount = f"{limit / 1_000_000:g}"
        return f"{amount.replace('.', ',') if lang == 'nl' else amount} MB"
    return f"{limit // 1000} kB"


# View models ----------------------------------------------------------------------------


def _amendment_link(page: Page, code: str, known_at: dt.datetime | None) -> Callable[[str], str]:
    known = page.request.query_params.get("known_at") if known_at else None

    def link(amendment_id: str) -> str:
        return page.link(_country_path(code, "amendments", amendment_id), known_at=known)

    return link


def _sources(sources: list[Doc]) -> list[Doc]:
    """Sources with a link only where it is a web address."""
    return [
        {
            **s,
            "url": s["url"]
            if str(s.get("url") or "").startswith(("https://", "http://"))
            else None,
        }
        for s in sources
    ]


def _group_labels(histories: Mapping[str, list[Doc]]) -> dict[str, Doc]:
    return _group_labels_of_values(
        {element: [i["value"] for i in intervals] for element, intervals in histories.items()}
    )


def _group_labels_of_values(values: Mapping[str, list[Doc | None]]) -> dict[str, Doc]:
    """Each group's latest labels among the values given."""
    labels: dict[str, Doc] = {}
    for element, seen in values.items():
        if not element.startswith("group:"):
            continue
        for value in seen:
            if value and value.get("label_en"):
                labels[parse_element(element).subject] = value
    return labels


def _recent_change(
    queries: PolicyQueries, code: str, moment: dt.datetime, published_by: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The default comparison: the day before the latest change in force up to its day, so
    the page opens on what that change did. A date whose amendments changed nothing (a
    reaffirmation) is passed over for the one before it; with none, yesterday and today."""
    today = _today()
    days = sorted(
        {
            dt.date.fromisoformat(a["in_force_from"])
            for a in queries.timeline(code, moment, published_by)["amendments"]
            if a["status"] == "in_force" and a["in_force_from"] <= today.isoformat()
        },
        reverse=True,
    )
    for day in [d for d in days if d > dt.date.min][:RECENT_DAYS_TRIED]:
        before = day - dt.timedelta(days=1)
        if queries.diff(code, before, day, moment, published_by)["changes"]:
            return before, day
    latest = max(days[0] if days else today, dt.date.min + dt.timedelta(days=1))
    return latest - dt.timedelta(days=1), latest


def _row(
    element: str, doc: Doc, page_lang: Lang, labels: Labels, link: Callable[[str], str]
) -> Doc:
    """One element of the policy answer, with the amendments and sources behind it."""
    skip = ("since", "amendments", "sources", "name", "scope")
    value = {k: v for k, v in doc.items() if k not in skip}
    return {
        "element": element,
        "name": element_name(element, page_lang, labels),
        "value": value_text(element, value, page_lang),
        "since": doc["since"],
        "acts": [
            {
                "amendment": a["amendment"],
                "href": link(a["amendment"]),
                "title": a["title"] or a["amendment"],
                "action": act_word(a["action"], page_lang),
                "on": a["on"],
            }
            for a in doc["amendments"]
        ],
    }


def _resolved(element: str, doc: Doc) -> str:
    """The element id a row shows: with the place its rule holds for, when it says."""
    scope = doc.get("scope")
    if not scope or scope == "country":
        return element
    kind, subject, _ = parse_element(element)
    return element_id(kind, subject, scope)


def _placed(name: str, doc: Doc, lang: Lang) -> str:
    scope = doc.get("scope")
    return f"{name}, {place_words(scope, lang)}" if scope and scope != "country" else name


def _attested_labels(doc: Doc) -> Labels:
    """Group labels as the attested values state them (the groups need not be in force)."""
    return {
        a["element"].partition(":")[2]: a["value"]
        for a in doc["attested_later"]
        if a["element"].startswith("group:")
    }


def _blocks(sections: list[Doc]) -> list[Doc]:
    """The sections as the page lays them out: a run of empty ones together, in one line."""
    blocks: list[Doc] = []
    for section in sections:
        if section["rows"]:
            blocks.append({"section": section, "empty": None})
        elif blocks and blocks[-1]["empty"]:
            blocks[-1]["empty"].append(section)
        else:
            blocks.append({"section": None, "empty": [section]})
    return blocks


def _references(
    sections: list[Doc], amendments: list[Doc], link: Callable[[str], str]
) -> list[Doc]:
    """The amendments the page's elements cite, numbered once each in the order they came
    into force, with their sources: the elements refer to them by number (`ref` on each act),
    so a letter and its sources are stated once, not on every element it touched."""
    cited = {a["amendment"] for s in sections for row in s["rows"] for a in row["acts"]}
    entries = sorted(
        (a for a in amendments if a["id"] in cited),
        key=lambda a: (a["in_force_from"] or "", a["announced_on"], a["id"]),
    )
    number = {a["id"]: n for n, a in enumerate(entries, start=1)}
    for section in sections:
        for row in section["rows"]:
            for act in row["acts"]:
                act["ref"] = number.get(act["amendment"])
    return [
        {
            "n": number[a["id"]],
            "id": a["id"],
            "href": link(a["id"]),
            "title": a["title"] or a["id"],
            "in_force_from": a["in_force_from"],
            "sources": _sources(a["sources"]),
        }
        for a in entries
    ]


# Categories every country's page lists, even empty; the others (attention groups, special
# policy: a few countries' policies have them) only where the answer holds some.
ALWAYS_LISTED = ("risk_profile", "group_persecution", "vulnerable_minority")


def _sections(doc: Doc, lang: Lang, labels: Labels, link: Callable[[str], str]) -> list[Doc]:
    """The answer's elements in the Vreemdelingencirculaire's order and groups."""
    t = translator(lang)
    sections: list[Doc] = []
    for category in GROUP_CATEGORIES:
        rows = []
        for g in doc["groups"]:
            if g["category"] != category:
                continue
            group_value = {k: g[k] for k in ("category", "label_en", "label_nl")}
            row = _row(f"group:{g['id']}", {**g, **group_value}, lang, labels, link)
            row["name"] = _placed(g[f"label_{lang}"], g, lang)
            row["value"] = value_text(f"group:{g['id']}", g, lang)  # the category, exceptions
            rows.append(row)
        if rows or category in ALWAYS_LISTED:
            sections.append({"id": category, "title": t(f"section_{category}"), "rows": rows})
    rows = []
    for g in doc.get("declined_groups", []):
        group_value = {k: g[k] for k in ("category", "label_en", "label_nl")}
        value = {**group_value, "declined": True}
        row = _row(f"group:{g['id']}", {**g, **value}, lang, labels, link)
        row["name"] = _placed(g[f"label_{lang}"], g, lang)
        row["value"] = value_text(f"group:{g['id']}", value, lang)
        rows.append(row)
    if rows:  # only where the policy states a no: an empty section would read as news
        title = t("section_declined_groups")
        sections.append({"id": "declined_groups", "title": title, "rows": rows})
    for key, section, prefix in (
        ("protection", "protection", "protection"),
        ("internal_protection_alternative", "ipa", "ipa"),
    ):
        rows = [
            _row(_resolved(f"{prefix}:{name}", e), e, lang, labels, link)
            for name, e in sorted(doc[key].items(), key=lambda kv: (kv[0] != "general", kv[0]))
        ]
        sections.append({"id": section, "title": t(f"section_{section}"), "rows": rows})
    article = doc["article_15c"]
    rows = []
    if "place" in doc:  # resolved for a place: one value, from where it came from
        if article:
            rows.append(_row(_resolved("article_15c", article), article, lang, labels, link))
            scope = article["scope"]
            rows[-1]["name"] = (
                t("scope_country") if scope == "country" else place_words(scope, lang)
            )
        article = {"default": None, "regions": {}}
    if article["default"]:
        rows.append(_row("article_15c:default", article["default"], lang, labels, link))
        rows[-1]["name"] = t("rest_of_country")
    for region, e in article["regions"].items():
        row = _row(f"article_15c:{region}", e, lang, labels, link)
        row["name"] = (
            f"{e['name']} ({region})"
            if region.startswith("area:")
            else f"{local_region_name(region, lang)} ({region})"
        )
        rows.append(row)
    sections.append({"id": "article_15c", "title": t("section_article_15c"), "rows": rows})
    minors = doc["unaccompanied_minors"]
    rows = [_row("unaccompanied_minors", minors, lang, labels, link)] if minors else []
    sections.append(
        {"id": "unaccompanied_minors", "title": t("section_unaccompanied_minors"), "rows": rows}
    )
    rows = [
        _row(
            _resolved(f"moratorium:{m['kind']}", m),
            {k: v for k, v in m.items() if k != "kind"},
            lang,
            labels,
            link,
        )
        for m in doc["moratoria"]
    ]
    sections.append({"id": "moratoria", "title": t("section_moratoria"), "rows": rows})
    rows = []
    for n in doc["notes"]:
        row = _row(
            f"note:{n['topic']}", {k: v for k, v in n.items() if k != "topic"}, lang, labels, link
        )
        name = topic_name(n["topic"], lang)
        row["name"] = name[:1].upper() + name[1:]
        rows.append(row)
    sections.append({"id": "notes", "title": t("section_notes"), "rows": rows})
    return sections
