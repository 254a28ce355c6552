"""Suggesting a CRM field for each column header.

Three passes, each only for columns and fields still free (a field is
suggested for one column at most):

1. the field key itself (``POSTALZIP``, any case);
2. a known name of the field in English, Dutch or Norwegian
   ("Bedrijfsnaam", "Firmanavn", "Postcode", "Postnummer", "Plaats", "Sted");
3. a close spelling of one of those (:func:`difflib.get_close_matches`), e.g.
   "Telefoonnr" or "Post code nr" - only in the dialog, where the admin
   reviews it; the command line maps keys and known names only.

Headers are compared after :func:`normalize`: case, accents, spaces and
punctuation do not count ("E-mail adres" is "emailadres").
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence

from ..connectors.base import ActorType
from .fields import COMPANY_FIELD, KEY_FIELD, targets

#: Closest spelling accepted by the fuzzy pass (difflib ratio, 0..1).
FUZZY_CUTOFF = 0.82
#: Shorter normalized headers are never matched fuzzily ("nr", "tel").
FUZZY_MIN_LENGTH = 4

_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th"})

#: Names of fields in both kinds of actor.
COMMON: dict[str, tuple[str, ...]] = {
    KEY_FIELD: ("erp key", "erpkey", "key", "id", "external id", "extern id", "externe id",
                "sleutel", "nøkkel", "nokkel", "ekstern id"),
    "EMAIL": ("email", "e-mail", "mail", "email address", "e-mail address", "e-mailadres",
              "emailadres", "e-mail adres", "e-post", "epost", "e-postadresse",
              "epostadresse"),
    "POSTALAD1": ("address", "address 1", "address line 1", "street", "street address",
                  "postal address", "adres", "adres 1", "adresregel 1", "straat",
                  "straat en huisnummer", "postadres", "bezoekadres", "adresse",
                  "adresse 1", "adresselinje 1", "gateadresse", "postadresse", "gate"),
    "POSTALAD2": ("address 2", "address line 2", "adres 2", "adresregel 2", "adresse 2",
                  "adresselinje 2"),
    "POSTALAD3": ("address 3", "address line 3", "adres 3", "adresregel 3", "adresse 3",
                  "adresselinje 3"),
    "POSTALZIP": ("zip", "zip code", "zipcode", "postcode", "postal code", "post code",
                  "postalcode", "postnummer", "postnr", "post nr"),
    "POSTALCITY": ("city", "town", "place", "plaats", "woonplaats", "vestigingsplaats",
                   "stad", "sted", "poststed", "by"),
    "COUNTRY": ("country", "land", "landcode", "country code", "landkode"),
}

#: Names of fields of companies (customers, suppliers).
COMPANY: dict[str, tuple[str, ...]] = {
    "NAME": ("name", "company", "company name", "companyname", "organisation", "organization",
             "organisation name", "customer name", "supplier name", "account", "account name",
             "naam", "bedrijf", "bedrijfsnaam", "organisatie", "firma", "firmanaam",
             "relatie", "relatienaam", "klantnaam", "leveranciersnaam", "navn", "firmanavn",
             "bedrift", "bedriftsnavn", "selskap", "selskapsnavn", "organisasjon",
             "kundenavn", "leverandørnavn", "leverandornavn"),
    "DEPARTMENT": ("department", "dept", "division", "afdeling", "avdeling"),
    "NUMBER2": ("number", "no", "nr", "customer number", "customer no", "supplier number",
                "account number", "nummer", "klantnummer", "klantnr", "debiteurnummer",
                "debiteurnr", "crediteurnummer", "leveranciersnummer", "relatienummer",
                "kundenummer", "kundenr", "leverandørnummer", "leverandornummer"),
    "NUMBER1": ("code", "customer code", "supplier code", "short name", "code name",
                "klantcode", "zoekcode", "zoeknaam", "kode", "kundekode", "kortnavn"),
    "VATNO": ("vat", "vat number", "vat no", "vat id", "vatno", "tax number", "tax id",
              "btw", "btw nummer", "btw-nummer", "btwnr", "btw-id", "omzetbelastingnummer",
              "mva", "mva nummer", "mva-nummer", "mvanr", "organisasjonsnummer", "orgnr",
              "org nr", "org.nr"),
    "PHONE": ("phone", "telephone", "phone number", "telephone number", "tel", "tel.",
              "telefoon", "telefoonnummer", "telefoonnr", "telefon", "telefonnummer", "tlf",
              "tlf."),
    "URL": ("url", "website", "web site", "web", "homepage", "home page", "internet",
            "www", "site", "webadres", "internetadres", "nettsted", "nettside", "hjemmeside",
            "webside"),
    "CATEGORY": ("category", "categorie", "klantcategorie", "soort", "kategori",
                 "kundekategori"),
    "BUSINESS": ("business", "industry", "sector", "line of business", "branche",
                 "bedrijfstak", "sbi", "bransje", "næring", "naering"),
}

#: Names of fields of persons.
PERSON: dict[str, tuple[str, ...]] = {
    "FIRSTNAME": ("first name", "firstname", "given name", "forename", "voornaam",
                  "roepnaam", "fornavn"),
    "MIDDLENAME": ("middle name", "middlename", "tussenvoegsel", "tussenvoegsels",
                   "mellomnavn"),
    "LASTNAME": ("last name", "lastname", "surname", "family name", "achternaam",
                 "familienaam", "etternavn"),
    "TITLE": ("title", "salutation", "titel", "aanhef", "tittel"),
    COMPANY_FIELD: ("company", "company name", "organisation", "organization", "employer",
                    "account", "bedrijf", "bedrijfsnaam", "organisatie", "firma", "werkgever",
                    "firmanavn", "bedrift", "bedriftsnavn", "selskap", "arbeidsgiver"),
    "POSITION": ("position", "job title", "job", "function", "role", "functie", "rol",
                 "stilling", "rolle", "tittel stilling"),
    "NUMBER": ("number", "no", "nr", "person number", "contact number", "employee number",
               "nummer", "personeelsnummer", "contactnummer", "ansattnummer", "personnummer"),
    "PHONE_DIRECT": ("phone", "direct phone", "telephone", "phone number", "work phone",
                     "business phone", "tel", "telefoon", "telefoonnummer", "doorkiesnummer",
                     "direct nummer", "telefon", "telefonnummer", "direktenummer",
                     "direkte", "tlf"),
    "PHONE_MOBILE": ("mobile", "mobile phone", "mobile number", "cell", "cell phone",
                     "cellphone", "mobiel", "mobiele telefoon", "mobiel nummer", "mobielnummer",
                     "gsm", "06", "mobil", "mobiltelefon", "mobilnummer", "mobiltlf"),
}


def normalize(text: str) -> str:
    """Case, accents, spaces and punctuation removed: "E-mail adres" -> "emailadres"."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return "".join(ch for ch in folded if ch.isalnum())


def _known_names(actor_type: ActorType) -> dict[str, str]:
    """Normalized known name -> field key, for the fields of ``actor_type``."""
    allowed = set(targets(actor_type))
    names: dict[str, str] = {}
    for table in (COMMON, COMPANY if actor_type.is_company else PERSON):
        for key, spellings in table.items():
            if key not in allowed:
                continue
            for spelling in (key, *spellings):
                names.setdefault(normalize(spelling), key)
    return names


def suggest(header: Sequence[str], actor_type: ActorType,
            fuzzy: bool = True) -> list[str | None]:
    """A field key (or None) per column of ``header``, each field used once."""
    allowed = targets(actor_type)
    by_key = {normalize(k): k for k in allowed}
    known = _known_names(actor_type)
    wanted = [normalize(h or "") for h in header]
    result: list[str | None] = [None] * len(header)
    used: set[str] = set()

    def assign(find: dict[str, str] | None) -> None:
        for index, word in enumerate(wanted):
            if result[index] is not None or not word:
                continue
            key = find.get(word) if find is not None else _closest(word, known)
            if key and key not in used:
                result[index] = key
                used.add(key)

    assign(by_key)
    assign(known)
    if fuzzy:
        assign(None)
    return result


def _closest(word: str, known: dict[str, str]) -> str | None:
    if len(word) < FUZZY_MIN_LENGTH:
        return None
    found = difflib.get_close_matches(word, list(known), n=1, cutoff=FUZZY_CUTOFF)
    return known[found[0]] if found else None
