"""Words of the pages in English and Dutch (dates in words: domain.words).

`?lang=nl` switches a page to Dutch; English is the default. Every label the templates show
is a key of WORDS; a missing key is a programming error (KeyError), caught by the tests that
render every page in both languages.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache

import pycountry

from domain.countries import country_name, region_name
from domain.words import LANGS, Lang

# key: (English, Dutch)
WORDS: dict[str, tuple[str, str]] = {
    # Frame
    "site": ("Policy Ledger", "Beleidsregister"),
    "tagline": (
        "Dutch country-specific asylum policy, as it stood on any date",
        "Landgebonden asielbeleid, zoals het gold op elke datum",
    ),
    "skip": ("Skip to the content", "Direct naar de inhoud"),
    "nav": ("Main", "Hoofdmenu"),
    "nav_countries": ("Countries", "Landen"),
    "nav_audit": ("Audit decisions", "Besluiten toetsen"),
    "nav_api": ("API documentation", "API-documentatie"),
    "language": ("Language", "Taal"),
    "other_language": ("Nederlands", "English"),
    "breadcrumb": ("You are here", "U bent hier"),
    "print": ("Print", "Afdrukken"),
    "copy_link": ("Copy link", "Link kopiëren"),
    "copied": ("Link copied", "Link gekopieerd"),
    "show": ("Show", "Tonen"),
    "none_recorded": ("None recorded.", "Niets vastgelegd."),
    "open_ended": ("open-ended", "zonder einddatum"),
    "amsterdam_time": ("Amsterdam time", "Nederlandse tijd"),
    "json": ("JSON", "JSON"),
    # Index
    "countries_title": ("Countries with a recorded policy", "Landen met vastgelegd beleid"),
    "countries_lead": (
        "Choose a country to see its policy on a date, how it changed over time, "
        "and the legal acts behind every element.",
        "Kies een land om het beleid op een datum te zien, hoe het in de tijd veranderde, "
        "en de rechtshandelingen achter elk onderdeel.",
    ),
    "no_countries": (
        "No policy is recorded yet. Load one with “policy-ledger load data/pakistan.yaml”.",
        "Er is nog geen beleid vastgelegd. Laad het met “policy-ledger load data/pakistan.yaml”.",
    ),
    "country": ("Country", "Land"),
    "code": ("Code", "Code"),
    "amendments": ("Amendments", "Wijzigingen"),
    "last_change": ("Last recorded", "Laatst vastgelegd"),
    "record_version": ("Record version", "Versie van het dossier"),
    # Country page
    "policy_on": ("Policy on", "Beleid op"),
    "as_known_at": ("as recorded at", "zoals vastgelegd op"),
    "as_known_now": ("as recorded now", "zoals nu vastgelegd"),
    "as_known_end_of": (
        "as recorded by the end of {date} (UTC)",
        "zoals vastgelegd aan het einde van {date} (UTC)",
    ),
    "on_label": ("In force on (date)", "Geldend op (datum)"),
    "on_hint": ("YYYY-MM-DD; empty: today", "JJJJ-MM-DD; leeg: vandaag"),
    "date_format": ("YYYY-MM-DD", "JJJJ-MM-DD"),
    "date_format_title": (
        "A date as YYYY-MM-DD, such as 2024-11-26",
        "Een datum als JJJJ-MM-DD, zoals 2024-11-26",
    ),
    "known_at_label": ("As recorded at (optional)", "Zoals vastgelegd op (optioneel)"),
    "known_at_hint": (
        "A date (end of that day, UTC) or a moment such as 2024-12-01T12:00:00Z; empty: now",
        "Een datum (einde van die dag, UTC) of een moment zoals 2024-12-01T12:00:00Z; leeg: nu",
    ),
    "published_by_label": ("Published by (optional)", "Gepubliceerd uiterlijk op (optioneel)"),
    "published_by_hint": (
        "Count only acts published on or before this date; empty: all",
        "Tel alleen besluiten die uiterlijk op deze datum zijn gepubliceerd; leeg: alle",
    ),
    "counting_published_by": (
        "counting only acts published by",
        "alleen besluiten gepubliceerd uiterlijk op",
    ),
    "show_policy": ("Show the policy", "Toon het beleid"),
    "today": ("today", "vandaag"),
    "views": ("Views of this country", "Weergaven van dit land"),
    "view_policy": ("Policy on a date", "Beleid op een datum"),
    "view_chart": ("Timeline chart", "Tijdlijn"),
    "view_changes": ("Changes between two dates", "Wijzigingen tussen twee datums"),
    "no_coverage_title": (
        "No recorded policy on this date",
        "Geen vastgelegd beleid op deze datum",
    ),
    "no_coverage": (
        "The ledger holds no policy in force on {on}. This does not mean that there were no "
        "risk profiles or other rules then: nothing was recorded for that date.",
        "Het register bevat geen beleid dat op {on} gold. Dat betekent niet dat er toen geen "
        "risicoprofielen of andere regels waren: voor die datum is niets vastgelegd.",
    ),
    "first_covered": (
        "The first recorded policy is in force from {date}.",
        "Het eerste vastgelegde beleid geldt vanaf {date}.",
    ),
    "version": ("Version", "Versie"),
    "version_valid": ("valid from {start} to {end}", "geldig van {start} tot {end}"),
    "version_valid_open": ("valid from {start}, with no end recorded", "geldig vanaf {start}"),
    "version_explain": (
        "The version id is a hash of the whole policy state: the same state always has the "
        "same id, so it can be cited.",
        "Het versienummer is een hash van de hele beleidstoestand: dezelfde toestand heeft "
        "altijd hetzelfde nummer, zodat het kan worden geciteerd.",
    ),
    "cite": ("Citable links", "Citeerbare links"),
    "cite_page": ("this page, fixed in time", "deze pagina, vast in de tijd"),
    "cite_version": ("the version (JSON)", "de versie (JSON)"),
    "cite_policy_json": ("this answer (JSON)", "dit antwoord (JSON)"),
    "element": ("Element", "Onderdeel"),
    "value": ("Value", "Waarde"),
    "since": ("Since", "Sinds"),
    "acts": ("Amendments", "Wijzigingen"),
    "sources": ("Sources", "Bronnen"),
    "references_title": ("Amendments and their sources", "Wijzigingen en hun bronnen"),
    "references_lead": (
        "Each amendment with its sources, once: the elements above cite them by number.",
        "Elke wijziging met haar bronnen, eenmaal: de onderdelen hierboven noemen hun nummer.",
    ),
    "pending_title": (
        "Pending: announced, not yet in force",
        "In afwachting: aangekondigd, nog niet in werking",
    ),
    "pending_lead": (
        "Announced on or before this date, with no in-force date recorded: they apply to "
        "nothing yet.",
        "Aangekondigd op of voor deze datum, zonder vastgelegde datum van inwerkingtreding: "
        "ze gelden nog nergens voor.",
    ),
    "announced": ("Announced", "Aangekondigd"),
    "date_not_stated": ("not stated", "niet vermeld"),
    "section_declined_groups": (
        "Stated as not designated",
        "Uitdrukkelijk niet aangewezen",
    ),
    "attested_title": ("Attested from a later date", "Vastgesteld vanaf een latere datum"),
    "attested_lead": (
        "An attestation in force after this date says these held from its date; since when "
        'is not recorded. Not recorded here is not "not so".',
        "Een vaststelling die na deze datum in werking is, zegt dat dit gold vanaf haar datum; "
        'sinds wanneer is niet vastgelegd. Niet vastgelegd is hier niet "niet zo".',
    ),
    "attested_from": ("Attested from", "Vastgesteld vanaf"),
    "section_risk_profile": ("Risk profiles", "Risicoprofielen"),
    "section_group_persecution": ("Group persecution", "Groepsvervolging"),
    "section_vulnerable_minority": ("Vulnerable minority groups", "Kwetsbare minderheidsgroepen"),
    "section_attention_group": ("Attention groups", "Aandachtsgroepen"),
    "section_special_policy": ("Special policy", "Bijzonder beleid"),
    "section_protection": ("Protection by the authorities", "Bescherming door de autoriteiten"),
    "section_ipa": (
        "Internal protection alternative",
        "Binnenlands beschermingsalternatief",
    ),
    "section_article_15c": (
        "Article 15(c): indiscriminate violence, per region",
        "Artikel 15c: willekeurig geweld, per regio",
    ),
    "section_unaccompanied_minors": (
        "Unaccompanied minors",
        "Alleenstaande minderjarige vreemdelingen",
    ),
    "section_moratoria": ("Moratoria", "Moratoria"),
    "section_notes": ("Notes", "Notities"),
    "region": ("Region", "Regio"),
    "rest_of_country": ("Rest of the country", "Overige delen van het land"),
    "group": ("Group", "Groep"),
    # Values
    "risk_profile": ("Risk profile", "Risicoprofiel"),
    "group_persecution": ("Group persecution", "Groepsvervolging"),
    "vulnerable_minority": ("Vulnerable minority group", "Kwetsbare minderheidsgroep"),
    "attention_group": ("Attention group", "Aandachtsgroep"),
    "special_policy": ("Special policy", "Bijzonder beleid"),
    "except": ("Except: {list}", "Uitgezonderd: {list}"),
    "not_designated": ("Not designated", "Niet aangewezen"),
    "level_none": ("No indiscriminate violence", "Geen willekeurig geweld"),
    "level_lower": (
        "Relatively lower level of indiscriminate violence",
        "Relatief lager niveau van willekeurig geweld",
    ),
    "level_higher": (
        "Higher level of indiscriminate violence",
        "Hoger niveau van willekeurig geweld",
    ),
    "level_most_exceptional": (
        "Most exceptional situation (mere presence is a real risk)",
        "Meest uitzonderlijke situatie (enkele aanwezigheid is een reëel risico)",
    ),
    "short_level_none": ("none", "geen"),
    "short_level_lower": ("lower", "lager"),
    "short_level_higher": ("higher", "hoger"),
    "short_level_most_exceptional": ("most exceptional", "meest uitzonderlijk"),
    "at_most_lower": (
        "At most a relatively lower level of indiscriminate violence (no level stated)",
        "Hoogstens een relatief lager niveau van willekeurig geweld (geen niveau genoemd)",
    ),
    "at_most_higher": (
        "Not the most exceptional situation (no level stated)",
        "Geen meest uitzonderlijke situatie (geen niveau genoemd)",
    ),
    "short_at_most_lower": ("at most lower", "hoogstens lager"),
    "short_at_most_higher": ("not most exceptional", "niet meest uitzonderlijk"),
    "armed_conflict": ("armed conflict", "gewapend conflict"),
    "no_armed_conflict": ("no armed conflict", "geen gewapend conflict"),
    "protect_yes": ("The authorities protect", "De autoriteiten bieden bescherming"),
    "protect_no": ("The authorities do not protect", "De autoriteiten bieden geen bescherming"),
    "protected_by": ("protection by: {actors}", "bescherming door: {actors}"),
    "actor_authorities": ("the authorities", "de autoriteiten"),
    "actor_international_organisations": (
        "international organisations",
        "internationale organisaties",
    ),
    "ipa_yes": (
        "Available: can be held against the applicant",
        "Beschikbaar: kan worden tegengeworpen",
    ),
    "ipa_no": (
        "Not available: cannot be held against the applicant",
        "Niet beschikbaar: kan niet worden tegengeworpen",
    ),
    "reception_yes": ("Adequate reception exists", "Adequate opvang is aanwezig"),
    "reception_no": ("No adequate reception", "Geen adequate opvang"),
    "moratorium_until": (
        "In place; {date} is the first day without it",
        "Van kracht; {date} is de eerste dag zonder",
    ),
    "moratorium_open": ("In place; no end stated", "Van kracht; geen einde vermeld"),
    "moratorium_through_until": (
        "In place up to and including {through}; {until} is the first day without it",
        "Van kracht tot en met {through}; {until} is de eerste dag zonder",
    ),
    "removed": ("Not in force", "Niet van kracht"),
    "general": ("general", "algemeen"),
    # Element names
    "el_group": ("Group: {name}", "Groep: {name}"),
    "el_protection": (
        "Protection by the authorities ({who})",
        "Bescherming door de autoriteiten ({who})",
    ),
    "el_ipa": (
        "Internal protection alternative ({who})",
        "Binnenlands beschermingsalternatief ({who})",
    ),
    "el_article_15c": ("Article 15(c): {where}", "Artikel 15c: {where}"),
    "el_unaccompanied_minors": (
        "Unaccompanied minors: reception",
        "Alleenstaande minderjarigen: opvang",
    ),
    "el_moratorium_decision": ("Decision moratorium", "Besluitmoratorium"),
    "el_moratorium_departure": ("Departure moratorium", "Vertrekmoratorium"),
    "el_note": ("Note: {topic}", "Notitie: {topic}"),
    "el_area": ("Area: {area}", "Gebied: {area}"),
    "area_named": ("area {area}", "gebied {area}"),
    "area_within": ("within", "binnen"),
    # Places: the policy for a person from a region or area
    "more_fields": (
        "For a place, or as published by a date",
        "Voor een plaats, of zoals bekendgemaakt op een datum",
    ),
    "region_label": ("Region of origin (optional)", "Regio van herkomst (optioneel)"),
    "region_hint": (
        "An ISO 3166-2 code, e.g. IQ-NI: the policy as it applies to a person from there",
        "Een ISO 3166-2-code, bijv. IQ-NI: het beleid zoals het geldt voor iemand daarvandaan",
    ),
    "area_label": ("Areas (optional)", "Gebieden (optioneel)"),
    "area_hint": (
        "Ids of defined areas, separated by commas; the first is the most specific",
        "Id's van gedefinieerde gebieden, met komma's gescheiden; de eerste is het specifiekst",
    ),
    "for_place": ("For a person from {place}", "Voor iemand uit {place}"),
    "scope_label": ("Applies in", "Geldt in"),
    "scope_country": ("the whole country", "het hele land"),
    "topic_protection": ("protection", "bescherming"),
    "topic_group_persecution": ("group persecution", "groepsvervolging"),
    "topic_decision_moratorium": ("decision moratorium", "besluitmoratorium"),
    "topic_departure_moratorium": ("departure moratorium", "vertrekmoratorium"),
    "topic_article_1f": ("Article 1F", "artikel 1F"),
    # Actions
    "act_designate_group": ("designated", "aangewezen"),
    "act_revoke_group": ("revoked", "ingetrokken"),
    "act_relabel_group": ("relabelled", "hernoemd"),
    "act_define_area": ("area defined", "gebied gedefinieerd"),
    "act_set_protection": ("set", "vastgesteld"),
    "act_set_internal_protection_alternative": ("set", "vastgesteld"),
    "act_set_article_15c": ("set", "vastgesteld"),
    "act_set_unaccompanied_minors_reception": ("set", "vastgesteld"),
    "act_impose_moratorium": ("imposed", "ingesteld"),
    "act_lift_moratorium": ("lifted", "opgeheven"),
    "act_lapse": ("lapsed", "verlopen"),
    "act_reaffirm": ("reaffirmed", "bevestigd"),
    "act_note": ("noted", "genoteerd"),
    "act_decline_group": ("stated as not designated", "uitdrukkelijk niet aangewezen"),
    "act_withdraw": ("no longer stated", "niet langer vastgelegd"),
    "act_replace_groups": ("list replaced", "lijst vervangen"),
    "declined_as": ("Not: {category}", "Niet: {category}"),
    "replaced_list": ("now exactly: {groups}", "luidt nu: {groups}"),
    "replaced_list_empty": ("now none", "luidt nu: geen"),
    "by": ("by", "door"),
    # Amendment page
    "amendment": ("Amendment", "Wijziging"),
    "status": ("Status", "Status"),
    "status_pending": ("Pending", "In afwachting"),
    "status_in_force": ("In force", "In werking"),
    "status_retracted": ("Retracted", "Ingetrokken"),
    "dates": ("Dates", "Datums"),
    "announced_on": ("Announced", "Aangekondigd"),
    "in_force_from": ("In force from", "In werking vanaf"),
    "in_force_unknown": ("not known yet (pending)", "nog niet bekend (in afwachting)"),
    "recorded_at": ("Recorded in the ledger", "Vastgelegd in het register"),
    "in_force_recorded_at": ("In-force date recorded", "Datum van inwerkingtreding vastgelegd"),
    "retracted_at": ("Retracted", "Ingetrokken"),
    "retraction_reason": ("Reason for the retraction", "Reden van intrekking"),
    "publications": ("Published", "Gepubliceerd"),
    "publications_note": (
        "When each act about this amendment was published: a reading published by a date "
        "counts only the acts published on or before it.",
        "Wanneer elke handeling over deze wijziging is gepubliceerd: een lezing naar "
        "publicatiedatum telt alleen wat op of vóór die datum is gepubliceerd.",
    ),
    "published_amendment": ("The amendment", "De wijziging"),
    "published_in_force": ("Its in-force date", "De datum van inwerkingtreding"),
    "published_retraction": ("The retraction", "De intrekking"),
    "published_how_with_amendment": ("with the amendment", "met de wijziging"),
    "published_how_recorded": (
        "not stated: counts from the day it was recorded",
        "niet vermeld: telt vanaf de dag van vastleggen",
    ),
    "author": ("Recorded by", "Vastgelegd door"),
    "attestation": ("Attestation", "Vaststelling"),
    "attestation_note": (
        "An attestation records what already held; it does not change the policy.",
        "Een vaststelling legt vast wat al gold; zij wijzigt het beleid niet.",
    ),
    "rationale": ("Rationale", "Motivering"),
    "changes": ("Changes", "Wijzigingen"),
    "change": ("Change", "Wijziging"),
    "policy_on_date": ("The policy on {date}", "Het beleid op {date}"),
    "untitled": ("Untitled amendment", "Wijziging zonder titel"),
    "source_kind": ("Kind", "Soort"),
    "reference": ("Reference", "Verwijzing"),
    "date": ("Date", "Datum"),
    "kind_kamerstuk": ("Parliamentary paper", "Kamerstuk"),
    "kind_wbv": ("Decree amending the Vc (WBV)", "Wijzigingsbesluit Vc (WBV)"),
    "kind_staatscourant": ("Government Gazette", "Staatscourant"),
    "kind_ambtsbericht": ("Country report", "Ambtsbericht"),
    "kind_ecli": ("Court ruling (ECLI)", "Uitspraak (ECLI)"),
    "kind_other": ("Other", "Overig"),
    # Chart
    "chart_title": ("Timeline of {name}", "Tijdlijn van {name}"),
    "chart_lead": (
        "One lane per policy element over valid time (the dates rules are in force), as "
        "recorded at the moment shown. Bars are coloured by value; markers are the amendments "
        "that set or confirmed a value. Hover a marker for its sources; select it to open the "
        "amendment.",
        "Eén baan per beleidsonderdeel over de geldigheidstijd (de datums waarop regels "
        "gelden), zoals vastgelegd op het getoonde moment. Balken zijn gekleurd naar waarde; "
        "markeringen zijn de wijzigingen die een waarde vaststelden of bevestigden. Wijs een "
        "markering aan voor de bronnen; kies haar om de wijziging te openen.",
    ),
    "chart_range": ("Period shown", "Getoonde periode"),
    "chart_from": ("From", "Van"),
    "chart_to": ("To", "Tot"),
    "chart_apply": ("Show", "Tonen"),
    "chart_all": ("Whole history up to today", "Hele geschiedenis tot vandaag"),
    "chart_changes": ("Around the amendments", "Rond de wijzigingen"),
    "chart_amendments_lane": ("Amendments", "Wijzigingen"),
    "chart_legend": ("Legend", "Legenda"),
    "chart_marker": ("amendment in force", "wijziging in werking"),
    "chart_marker_pending": (
        "pending amendment (at its announcement)",
        "wijziging in afwachting (op aankondiging)",
    ),
    "chart_marker_retracted": ("retracted amendment", "ingetrokken wijziging"),
    "chart_today": ("today", "vandaag"),
    "chart_as_table": ("The chart as a table", "De tijdlijn als tabel"),
    "chart_empty": ("Nothing to show in this period.", "Niets te tonen in deze periode."),
    "chart_desc": (
        "{lanes} lanes from {start} to {end}; {amendments} amendments.",
        "{lanes} banen van {start} tot {end}; {amendments} wijzigingen.",
    ),
    "from_date": ("From", "Van"),
    "to_date": ("To", "Tot"),
    "history_json": ("history (JSON)", "geschiedenis (JSON)"),
    "in_force_on": ("in force on {date}", "in werking op {date}"),
    "pending_since": ("pending, announced {date}", "in afwachting, aangekondigd {date}"),
    "retracted_on": ("retracted {date}", "ingetrokken {date}"),
    # Changes page
    "changes_title": ("Changes in the policy of {name}", "Wijzigingen in het beleid voor {name}"),
    "changes_lead": (
        "What differs between the policy in force on two dates, element by element, with the "
        "amendment that made each change.",
        "Wat verschilt tussen het beleid op twee datums, per onderdeel, met de wijziging die "
        "elk verschil maakte.",
    ),
    "changes_between": ("Between {first} and {second}", "Tussen {first} en {second}"),
    "compare": ("Compare", "Vergelijken"),
    "no_changes": (
        "Nothing differs between these two dates.",
        "Er verschilt niets tussen deze twee datums.",
    ),
    "kind": ("What", "Wat"),
    "before": ("Before", "Voor"),
    "after": ("After", "Na"),
    "kind_added": ("added", "toegevoegd"),
    "kind_removed": ("removed", "vervallen"),
    "kind_changed": ("changed", "gewijzigd"),
    "raised": ("raised", "verhoogd"),
    "lowered": ("lowered", "verlaagd"),
    "made_by": ("Made by", "Door"),
    # Audit form
    "audit_title": ("Audit decisions", "Besluiten toetsen"),
    "audit_lead": (
        "Upload past decisions. Each is judged under the policy in force on its date, as "
        "known now and as recorded when it was taken, and compared with the policy on the "
        "review date. The answer is a report you can save or print. Nothing is stored.",
        "Upload eerdere besluiten. Elk besluit wordt getoetst aan het beleid dat op de "
        "besluitdatum gold, zoals nu bekend en zoals vastgelegd toen het werd genomen, en "
        "vergeleken met het beleid op de peildatum. U krijgt een rapport dat u kunt opslaan "
        "of afdrukken. Er wordt niets opgeslagen.",
    ),
    "audit_file": (
        "Decisions file (CSV or JSON Lines)",
        "Bestand met besluiten (CSV of JSON Lines)",
    ),
    "audit_file_hint": (
        "At most {size}. CSV with a header row; the columns id, country and decided_on are "
        "required; recorded_at, groups (separated by ;), region, unaccompanied_minor, "
        "cited_version_id and outcome are optional.",
        "Hoogstens {size}. CSV met een kopregel; de kolommen id, country en decided_on zijn "
        "verplicht; recorded_at, groups (gescheiden door ;), region, unaccompanied_minor, "
        "cited_version_id en outcome zijn optioneel.",
    ),
    "audit_review": ("Review date (optional)", "Peildatum (optioneel)"),
    "audit_review_hint": ("YYYY-MM-DD; empty: today", "JJJJ-MM-DD; leeg: vandaag"),
    "audit_submit": ("Audit the decisions", "Toets de besluiten"),
    "audit_example": ("An example file", "Een voorbeeldbestand"),
    "audit_error": ("The file was not audited", "Het bestand is niet getoetst"),
    "audit_too_large": (
        "The file is larger than {size}: audit it with “policy-ledger audit”, or split it.",
        "Het bestand is groter dan {size}: toets het met “policy-ledger audit”, of splits het.",
    ),
    "audit_no_file": ("Choose a file of decisions.", "Kies een bestand met besluiten."),
    "audit_needs_token": (
        "Audits need a token on this server. Send it as “Authorization: Bearer <token>”, "
        "or use “policy-ledger audit”.",
        "Toetsen vereist een token op deze server. Stuur het als “Authorization: Bearer "
        "<token>”, of gebruik “policy-ledger audit”.",
    ),
    # Errors
    "error": ("Error", "Fout"),
    "error_401": ("Authentication required", "Aanmelding vereist"),
    "error_401_text": (
        "Reading needs a token on this server. Send it as “Authorization: Bearer <token>”.",
        "Lezen vereist een token op deze server. Stuur het als “Authorization: Bearer <token>”.",
    ),
    "error_404": ("Not found", "Niet gevonden"),
    "error_413": ("The file is too large", "Het bestand is te groot"),
    "error_422": ("The input cannot be read", "De invoer kan niet worden gelezen"),
    "error_400": ("Bad request", "Ongeldig verzoek"),
    "error_500": ("Something went wrong", "Er ging iets mis"),
    "error_500_text": (
        "The server failed; the error is logged.",
        "De server faalde; de fout is vastgelegd.",
    ),
    "error_other": ("The request failed", "Het verzoek is mislukt"),
    "back_home": ("Back to the countries", "Terug naar de landen"),
}


def word(key: str, lang: Lang, **values: object) -> str:
    text = WORDS[key][LANGS.index(lang)]
    return text.format(**values) if values else text


def translator(lang: Lang) -> Callable[..., str]:
    def t(key: str, **values: object) -> str:
        return word(key, lang, **values)

    return t


def pick_lang(raw: str | None) -> Lang:
    return "nl" if raw == "nl" else "en"


@cache
def _catalogue(domain: str, lang: Lang) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True)


def local_country_name(code: str, lang: Lang) -> str:
    return _catalogue("iso3166-1", lang).gettext(country_name(code))


def local_region_name(code: str, lang: Lang) -> str:
    return _catalogue("iso3166-2", lang).gettext(region_name(code))
