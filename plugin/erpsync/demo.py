"""Deterministic demo ERP data: Dutch and Norwegian customers, suppliers and
persons, for the Workbook connector.

The generated CSV files ship in :data:`DEMO_DATA_DIR` (``erpsync/demo_data``)
so ``erpsync demo`` needs no generation step. Regenerate them with::

    python -m erpsync.demo                # into erpsync/demo_data
    python -m erpsync.demo /tmp/demo      # somewhere else
    python -m erpsync.demo /tmp/demo.xlsx # one Excel workbook

The same seed and counts always give the same rows (time stamps count back
from a fixed date, never from "now"), so tests can rely on the data.
"""

from __future__ import annotations

import csv
import random
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .connectors.workbook import WELL_KNOWN_FIELDS
from .paths import DEMO_DATA_DIR

__all__ = ["DEMO_DATA_DIR", "DemoData", "generate", "write_demo_workbook", "write_demo_xlsx"]

#: Time stamps count back from here (deterministic output).
REFERENCE_TIME = datetime(2025, 6, 30, 16, 0, tzinfo=UTC)

COMPANY_COLUMNS = ["ERPKEY", "NAME", "DEPARTMENT", "NUMBER1", "NUMBER2", "VATNO", "PHONE",
                   "EMAIL", "URL", "POSTALAD1", "POSTALAD2", "POSTALZIP", "POSTALCITY",
                   "COUNTRY", "CATEGORY", "BUSINESS"]
CUSTOMER_COLUMNS = [*COMPANY_COLUMNS, "CREDITLIMIT", "BLOCKED", "LASTMODIFIED"]
SUPPLIER_COLUMNS = [*COMPANY_COLUMNS, "PAYMENTDAYS", "PREFERRED", "LASTMODIFIED"]
PERSON_COLUMNS = ["ERPKEY", "PARENTKEY", "PARENTTYPE", "FIRSTNAME", "MIDDLENAME", "LASTNAME",
                  "TITLE", "NUMBER", "POSITION", "EMAIL", "PHONE_DIRECT", "PHONE_MOBILE",
                  "POSTALAD1", "POSTALZIP", "POSTALCITY", "COUNTRY", "LASTMODIFIED"]
LIST_COLUMNS = ["LIST", "KEY", "NAME", "NAME_nl", "NAME_no"]
FIELD_COLUMNS = ["ACTORTYPE", "KEY", "NAME", "NAME_nl", "NAME_no", "TYPE", "LIST", "MAXLENGTH"]

# ------------------------------------------------------------------ lists

# List item keys are the English names: the import engine turns a list value
# into a CRM list item of that name, so a readable key makes a readable item.
#: code used below -> (key = en, nl, no)
CATEGORIES: dict[str, tuple[str, str, str]] = {
    "key-account": ("Key account", "Key account", "Nøkkelkunde"),
    "customer-a": ("A customer", "A-klant", "A-kunde"),
    "customer-b": ("B customer", "B-klant", "B-kunde"),
    "prospect": ("Prospect", "Prospect", "Prospekt"),
    "public-sector": ("Public sector", "Overheid", "Offentlig sektor"),
    "distributor": ("Distributor", "Distributeur", "Distributør"),
    "wholesaler": ("Wholesaler", "Groothandel", "Grossist"),
    "subcontractor": ("Subcontractor", "Onderaannemer", "Underleverandør"),
    "partner": ("Partner", "Partner", "Partner"),
}
CUSTOMER_CATEGORIES = ["key-account", "customer-a", "customer-a", "customer-b", "customer-b",
                       "customer-b", "prospect", "public-sector", "partner"]
SUPPLIER_CATEGORIES = ["distributor", "wholesaler", "wholesaler", "subcontractor", "partner"]

BUSINESSES: dict[str, tuple[str, str, str]] = {
    "construction": ("Construction", "Bouw", "Bygg og anlegg"),
    "fishing": ("Fishing and aquaculture", "Visserij en aquacultuur", "Fiske og havbruk"),
    "hospitality": ("Hospitality", "Horeca", "Hotell og restaurant"),
    "it": ("IT and software", "ICT en software", "IT og programvare"),
    "retail": ("Retail", "Detailhandel", "Varehandel"),
    "transport": ("Transport and logistics", "Transport en logistiek", "Transport og logistikk"),
    "energy": ("Energy", "Energie", "Energi"),
    "agriculture": ("Agriculture", "Landbouw", "Landbruk"),
    "manufacturing": ("Manufacturing", "Industrie", "Industri"),
    "services": ("Professional services", "Zakelijke dienstverlening", "Tjenesteyting"),
}

#: Display names of the demo's own (not well-known) fields: key -> (en, nl, no).
EXTRA_FIELDS: dict[str, tuple[str, str, str]] = {
    "CREDITLIMIT": ("Credit limit", "Kredietlimiet", "Kredittgrense"),
    "BLOCKED": ("Blocked", "Geblokkeerd", "Sperret"),
    "PAYMENTDAYS": ("Payment terms (days)", "Betalingstermijn (dagen)", "Betalingsfrist (dager)"),
    "PREFERRED": ("Preferred supplier", "Voorkeursleverancier", "Foretrukket leverandør"),
}
FIELD_TYPES = {"CATEGORY": "list", "BUSINESS": "list", "CREDITLIMIT": "double",
               "BLOCKED": "checkbox", "PAYMENTDAYS": "integer", "PREFERRED": "checkbox",
               "LASTMODIFIED": "datetime"}
MAX_LENGTHS = {"NAME": 200, "DEPARTMENT": 200, "NUMBER1": 50, "NUMBER2": 50, "VATNO": 50,
               "PHONE": 250, "EMAIL": 250, "URL": 250, "POSTALAD1": 200, "POSTALAD2": 200,
               "POSTALZIP": 20, "POSTALCITY": 100, "COUNTRY": 100, "FIRSTNAME": 100,
               "MIDDLENAME": 100, "LASTNAME": 100, "TITLE": 100, "NUMBER": 50,
               "POSITION": 100, "PHONE_DIRECT": 250, "PHONE_MOBILE": 250}

# ------------------------------------------------------------------ places


@dataclass(frozen=True)
class City:
    name: str
    zip_range: tuple[int, int]
    area_code: str  # without the trunk prefix
    streets: tuple[str, ...]


NL_CITIES = (
    City("Amsterdam", (1011, 1109), "20", ("Keizersgracht", "Herengracht", "Damrak",
                                          "Prins Hendrikkade", "Overtoom", "Van Baerlestraat")),
    City("Rotterdam", (3011, 3089), "10", ("Coolsingel", "Weena", "Wilhelminakade",
                                          "Lijnbaan", "Maasboulevard")),
    City("Utrecht", (3511, 3585), "30", ("Oudegracht", "Biltstraat", "Catharijnesingel",
                                        "Vredenburg")),
    City("Eindhoven", (5611, 5658), "40", ("Stratumseind", "Vestdijk", "Kennedylaan",
                                          "High Tech Campus")),
    City("Groningen", (9711, 9747), "50", ("Grote Markt", "Vismarkt", "Herestraat",
                                          "Paterswoldseweg")),
    City("Den Haag", (2491, 2599), "70", ("Lange Voorhout", "Spui", "Laan van Meerdervoort")),
    City("Haarlem", (2011, 2037), "23", ("Grote Houtstraat", "Zijlweg", "Kleine Houtweg")),
    City("Maastricht", (6211, 6229), "43", ("Vrijthof", "Wycker Brugstraat", "Boschstraat")),
    City("Zwolle", (8011, 8043), "38", ("Diezerstraat", "Thorbeckegracht", "Assendorperstraat")),
    City("Urk", (8321, 8325), "527", ("Westhavenkade", "Wijk 1", "Vormt")),
    City("Lelystad", (8211, 8245), "320", ("Stationsplein", "Houtribweg", "Larserdreef")),
    City("'s-Hertogenbosch", (5211, 5249), "73", ("Hinthamerstraat", "Vughterstraat")),
)
NO_CITIES = (
    City("Oslo", (150, 1295), "22", ("Karl Johans gate", "Øvre Slottsgate", "Storgata",
                                    "Bogstadveien", "Dronning Eufemias gate")),
    City("Bergen", (5003, 5099), "55", ("Bryggen", "Torgallmenningen", "Strandkaien",
                                       "Kong Oscars gate")),
    City("Trondheim", (7010, 7099), "73", ("Munkegata", "Kongens gate", "Olav Tryggvasons gate",
                                          "Fjordgata")),
    City("Tromsø", (9006, 9024), "77", ("Storgata", "Sjøgata", "Strandvegen")),
    City("Stavanger", (4005, 4099), "51", ("Skagen", "Kirkegata", "Løkkeveien", "Strandkaien")),
    City("Ålesund", (6002, 6018), "70", ("Apotekergata", "Kongens gate", "Keiser Wilhelms gate")),
    City("Kristiansand", (4608, 4639), "38", ("Markens gate", "Dronningens gate")),
    City("Bodø", (8001, 8050), "75", ("Sjøgata", "Storgata", "Havnegata")),
    City("Lillehammer", (2609, 2626), "61", ("Storgata", "Kirkegata")),
)

# Letters used in Dutch postcodes (F, I, O, Q, U and Y are not; SA, SD and SS never occur).
_NL_ZIP_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"

# ------------------------------------------------------------------ names

NL_SURNAMES = (  # (particle, name)
    ("de", "Vries"), ("de", "Jong"), ("", "Bakker"), ("", "Visser"), ("", "Smit"),
    ("", "Meijer"), ("van der", "Ploeg"), ("van den", "Berg"), ("van", "Dijk"),
    ("", "Mulder"), ("", "Dijkstra"), ("", "IJzerman"), ("", "Hendriks"), ("", "Janssen"),
    ("van", "Leeuwen"), ("de", "Wit"), ("ter", "Horst"), ("van der", "Meer"), ("", "Bos"),
    ("", "Kuijpers"), ("van", "Wijk"), ("", "Vermeulen"), ("de", "Groot"), ("", "Prins"),
)
NL_FIRST_NAMES = ("Jan", "Pieter", "Sanne", "Femke", "Daan", "Lotte", "Bram", "Eva", "Joost",
                  "Marieke", "Sem", "Anouk", "Thijs", "Inge", "Henk", "Ilse", "Rutger",
                  "Maaike", "Gijs", "Renée", "Chloë", "Wouter", "IJsbrand", "Noor")
NO_SURNAMES = ("Hansen", "Johansen", "Olsen", "Larsen", "Bjørnstad", "Haugen", "Løvås",
               "Sæther", "Kvåle", "Aasen", "Dahl", "Ødegård", "Nærland", "Strøm", "Berg",
               "Fjeld", "Myklebust", "Brække", "Solberg", "Bakken", "Lie", "Moen", "Eide",
               "Grønli", "Tveit")
NO_FIRST_NAMES = ("Ola", "Kari", "Bjørn", "Ingrid", "Sølvi", "Øystein", "Åse", "Håkon",
                  "Torbjørn", "Sigrid", "Ørjan", "Marte", "Eirik", "Ragnhild", "Jørgen",
                  "Ståle", "Ane", "Mathias", "Nora", "Åsmund", "Liv", "Kjetil")
NL_TITLES = ("ing.", "ir.", "drs.", "mr.", "dr.")
NO_TITLES = ("siv.ing.", "dr.", "cand.jur.")
NL_POSITIONS = ("Directeur", "Inkoper", "Financieel manager", "Office manager",
                "Verkoopadviseur", "Bedrijfsleider", "Eigenaar", "Projectleider",
                "Hoofd logistiek")
NO_POSITIONS = ("Daglig leder", "Innkjøpssjef", "Økonomisjef", "Salgssjef", "Kontorleder",
                "Prosjektleder", "Eier", "Driftsleder", "Logistikksjef")
NL_DEPARTMENTS = ("Verkoop", "Inkoop", "Administratie", "Vestiging Noord", "Vestiging Zuid")
NO_DEPARTMENTS = ("Salg", "Innkjøp", "Regnskap", "Avdeling Nord", "Avdeling Vest")

#: Trades: (business key, word in a company name).
NL_TRADES = (
    ("construction", "Bouw"), ("construction", "Installatietechniek"),
    ("construction", "Dakdekkers"), ("construction", "Schilderwerken"),
    ("transport", "Transport"), ("transport", "Logistiek"), ("manufacturing", "Metaal"),
    ("manufacturing", "Machinebouw"), ("services", "Accountants"), ("services", "Advocaten"),
    ("it", "ICT"), ("it", "Software"), ("agriculture", "Kwekerij"), ("retail", "Bloemen"),
    ("energy", "Zonne-energie"),
)
NO_TRADES = (
    ("construction", "Rørlegger"), ("construction", "Bygg"), ("construction", "Elektro"),
    ("construction", "Maling"), ("transport", "Transport"), ("transport", "Logistikk"),
    ("manufacturing", "Mekaniske"), ("manufacturing", "Maskin"), ("services", "Regnskap"),
    ("services", "Eiendom"), ("it", "Data"), ("fishing", "Fisk"), ("fishing", "Sjømat"),
    ("retail", "Interiør"), ("energy", "Kraft"),
)
#: Shop-style names: the trade word comes first ("Bakkerij Jansen").
NL_SHOPS = (("retail", "Bakkerij"), ("retail", "Slagerij"), ("services", "Garage"),
            ("services", "Drukkerij"), ("agriculture", "Hoveniersbedrijf"),
            ("hospitality", "Café"), ("hospitality", "Brasserie"))
NO_SHOPS = (("services", "Advokatfirma"), ("hospitality", "Café"), ("retail", "Bakeri"),
            ("services", "Bilverksted"), ("hospitality", "Kafé"))
#: Names that are not built from a surname: (business, name without legal form).
NL_FIXED = (
    ("fishing", "Noordzee Vis"),
    ("manufacturing", "Zuiderzee Scheepsbouw"), ("agriculture", "Hollandse Tulp Export"),
    ("transport", "Rijnmond Havendiensten"), ("services", "Domstad Accountants"),
    ("it", "Lichtstad ICT"), ("energy", "Stad en Ommeland Energie"),
    ("hospitality", "Eetcafé De Vlijt"), ("hospitality", "Brasserie De Zwaan"),
    ("fishing", "Scheveningse Rederij"), ("retail", "Kaashandel Gouda"),
    ("construction", "Betonbouw IJmond"), ("retail", "Fietsenwinkel De Ketting"),
)
NO_FIXED = (
    ("fishing", "Nordlys Sjømat"),
    ("energy", "Fjordkraft Elektro"), ("manufacturing", "Vestlandsbåt"),
    ("retail", "Bryggen Bakeri"), ("manufacturing", "Nidaros Maskin"),
    ("fishing", "Ishavsfisk"), ("services", "Sørlandet Båtservice"),
    ("construction", "Øst-Agder Trelast"), ("fishing", "Ålesund Fiskeindustri"),
    ("fishing", "Lofoten Tørrfisk"), ("transport", "Hålogaland Transport"),
    ("it", "Trøndelag Data"), ("hospitality", "Kaffebrenneriet Tromsø"),
)
#: Always the first rows (docs and tests refer to them): (country, business, name).
SIGNATURE_CUSTOMERS = (
    ("NO", "construction", "Bjørnstad Rørlegger AS"),
    ("NO", "hospitality", "Café Løvenskiold"),
)
SIGNATURE_SUPPLIERS = (
    ("NL", "fishing", "IJsselmeer Visserij"),
    ("NL", "manufacturing", "Van der Ploeg & Zonen B.V."),
)
#: Legal forms left out of web domains.
LEGAL_FORMS = frozenset({"b.v.", "n.v.", "v.o.f.", "as", "asa", "ans", "da"})
NL_FORMS = ("B.V.", "B.V.", "B.V.", "V.O.F.", "N.V.", "")
NO_FORMS = ("AS", "AS", "AS", "ASA", "ANS", "DA")

COUNTRY_NAMES = {"NL": "Nederland", "NO": "Norge"}
PERSONAL_MAIL = {"NL": ("ziggo.nl", "kpnmail.nl", "gmail.com", "outlook.com"),
                 "NO": ("online.no", "gmail.com", "hotmail.no", "outlook.com")}


# ------------------------------------------------------------------ helpers


def ascii_slug(text: str, sep: str = "", ampersand: str = "en") -> str:
    """Lower-case ASCII for e-mail addresses and domains (æ→ae, ø→o, å→a, é→e;
    ``&`` becomes ``ampersand``: "en" in Dutch, "og" in Norwegian)."""
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("&", f" {ampersand} ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in text).split()
    return sep.join(words)


def norwegian_orgnr(rng: random.Random) -> str:
    """A 9-digit organisation number with a valid modulus-11 check digit."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    while True:
        digits = [rng.choice((8, 9))] + [rng.randrange(10) for _ in range(7)]
        check = 11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def dutch_rsin(rng: random.Random) -> str:
    """A 9-digit RSIN passing the Dutch "elfproef"."""
    while True:
        digits = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        last = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if last < 10:
            return "".join(map(str, digits)) + str(last)


def vat_number(rng: random.Random, country: str) -> str:
    if country == "NL":
        return f"NL{dutch_rsin(rng)}B{rng.choice(('01', '01', '01', '02'))}"
    return f"NO {norwegian_orgnr(rng)} MVA"


def postcode(rng: random.Random, country: str, city: City) -> str:
    number = rng.randint(*city.zip_range)
    if country == "NO":
        return f"{number:04d}"
    while True:
        letters = rng.choice(_NL_ZIP_LETTERS) + rng.choice(_NL_ZIP_LETTERS)
        if letters not in ("SA", "SD", "SS"):
            return f"{number} {letters}"


def phone(rng: random.Random, country: str, city: City) -> str:
    if country == "NL":
        rest = 9 - len(city.area_code)  # Dutch numbers have 9 digits after the 0
        digits = "".join(str(rng.randrange(10)) for _ in range(rest))
        return f"+31 {city.area_code} {digits[:3]} {digits[3:]}"
    digits = city.area_code + "".join(str(rng.randrange(10)) for _ in range(6))
    return f"+47 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"


def mobile(rng: random.Random, country: str) -> str:
    if country == "NL":
        digits = "".join(str(rng.randrange(10)) for _ in range(8))
        return f"+31 6 {digits[:4]} {digits[4:]}"
    digits = rng.choice("49") + "".join(str(rng.randrange(10)) for _ in range(7))
    return f"+47 {digits[:3]} {digits[3:5]} {digits[5:]}"


def _modified(rng: random.Random) -> str:
    moment = REFERENCE_TIME - timedelta(days=rng.randrange(0, 720), minutes=rng.randrange(0, 600))
    return moment.replace(second=0).isoformat()


# ------------------------------------------------------------------ generation


@dataclass
class DemoData:
    """All generated tables as lists of string-valued rows."""

    customers: list[dict[str, str]]
    suppliers: list[dict[str, str]]
    persons: list[dict[str, str]]
    lists: list[dict[str, str]]
    fields: list[dict[str, str]]


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used_names: set[str] = {n for *_, n in SIGNATURE_CUSTOMERS + SIGNATURE_SUPPLIERS}
        self.used_codes: set[str] = set()

    # -- companies ---------------------------------------------------------
    def company_name(self, country: str) -> tuple[str, str]:
        """(business key, company name), unique within the data."""
        rng = self.rng
        for _ in range(1000):
            style = rng.random()
            if country == "NL":
                particle, surname = rng.choice(NL_SURNAMES)
                family = f"{particle.capitalize()} {surname}".strip()
                if style < 0.45:
                    business, trade = rng.choice(NL_TRADES)
                    name = f"{family} {trade} {rng.choice(NL_FORMS)}".strip()
                elif style < 0.65:
                    business, shop = rng.choice(NL_SHOPS)
                    name = f"{shop} {family}"
                elif style < 0.8:
                    business, name = rng.choice(("manufacturing", "construction", "retail")), \
                        f"{family} & Zonen B.V."
                else:
                    business, name = rng.choice(NL_FIXED)
                    name = f"{name} {rng.choice(NL_FORMS)}".strip()
            else:
                surname = rng.choice(NO_SURNAMES)
                if style < 0.45:
                    business, trade = rng.choice(NO_TRADES)
                    name = f"{surname} {trade} {rng.choice(NO_FORMS)}"
                elif style < 0.6:
                    business, shop = rng.choice(NO_SHOPS)
                    name = f"{shop} {surname}"
                elif style < 0.75:
                    business = rng.choice(("manufacturing", "construction", "transport"))
                    name = f"{surname} & {rng.choice(('Sønn', 'Sønner'))} AS"
                else:
                    business, name = rng.choice(NO_FIXED)
                    if not name.startswith(("Café", "Kaffe")):
                        name = f"{name} {rng.choice(NO_FORMS)}"
            if name not in self.used_names:
                self.used_names.add(name)
                return business, name
        raise RuntimeError("demo name pool exhausted; lower the counts")

    def company_code(self, name: str) -> str:
        letters = ascii_slug(name).upper()[:4].ljust(4, "X")
        for n in range(1, 100):
            code = f"{letters}{n:02d}"
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code
        raise RuntimeError("no free company code")

    def company(self, number: int, key_prefix: str, categories: Sequence[str],
                fixed: tuple[str, str, str] | None = None) -> dict[str, str]:
        rng = self.rng
        if fixed:
            country, business, name = fixed
        else:
            country = "NL" if rng.random() < 0.55 else "NO"
            business, name = self.company_name(country)
        city = rng.choice(NL_CITIES if country == "NL" else NO_CITIES)
        words = [w for w in name.split() if w.lower() not in LEGAL_FORMS]
        domain = ascii_slug(" ".join(words), "-", "en" if country == "NL" else "og")
        domain = f"{domain}.{country.lower()}"
        street = f"{rng.choice(city.streets)} {rng.randint(1, 240)}"
        postal_ad2 = ""
        if rng.random() < 0.15:
            postal_ad2 = (f"Postbus {rng.randint(100, 9999)}" if country == "NL"
                          else f"Postboks {rng.randint(1, 999)}")
        return {
            "ERPKEY": f"{key_prefix}-{number}",
            "NAME": name,
            "DEPARTMENT": "",
            "NUMBER1": self.company_code(name),
            "NUMBER2": str(number),
            "VATNO": vat_number(rng, country) if rng.random() < 0.9 else "",
            "PHONE": phone(rng, country, city),
            "EMAIL": f"{rng.choice(('info', 'post', 'kontakt' if country == 'NO' else 'contact'))}"
                     f"@{domain}",
            "URL": f"https://www.{domain}" if rng.random() < 0.85 else "",
            "POSTALAD1": street,
            "POSTALAD2": postal_ad2,
            "POSTALZIP": postcode(rng, country, city),
            "POSTALCITY": city.name,
            "COUNTRY": COUNTRY_NAMES[country],
            "CATEGORY": CATEGORIES[rng.choice(categories)][0],
            "BUSINESS": BUSINESSES[business][0],
            "LASTMODIFIED": _modified(rng),
        }

    def companies(self, count: int, start: int, key_prefix: str, categories: Sequence[str],
                  fixed: Sequence[tuple[str, str, str]]) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = []
        for index in range(count):
            rows.append(self.company(start + index, key_prefix, categories,
                                     fixed[index] if index < len(fixed) else None))
        self._add_branches(rows)
        return rows

    def _add_branches(self, rows: list[dict[str, str]]) -> None:
        """Give some companies a department; a few get a second branch with the
        same name and another department (the Name + Department match)."""
        rng = self.rng
        for row in rows:
            if rng.random() < 0.1:
                departments = NL_DEPARTMENTS if row["COUNTRY"] == "Nederland" else NO_DEPARTMENTS
                row["DEPARTMENT"] = rng.choice(departments)
        branches = [r for r in rows if r["DEPARTMENT"]][:3]
        if len(rows) < 10:
            return
        for offset, row in enumerate(branches):
            departments = NL_DEPARTMENTS if row["COUNTRY"] == "Nederland" else NO_DEPARTMENTS
            other = next(d for d in departments if d != row["DEPARTMENT"])
            # The branch replaces one of the last generated rows, so the count stays.
            branch = rows[-1 - offset]
            branch.update({k: v for k, v in row.items()
                           if k not in ("ERPKEY", "NUMBER1", "NUMBER2", "LASTMODIFIED")})
            branch["DEPARTMENT"] = other
            branch["NUMBER1"] = self.company_code(row["NAME"])

    # -- persons -------------------------------------------------------------
    def person(self, number: int, parent: dict[str, str] | None,
               parent_type: str) -> dict[str, str]:
        rng = self.rng
        country = ("NL" if parent["COUNTRY"] == "Nederland" else "NO") if parent else \
            ("NL" if rng.random() < 0.5 else "NO")
        if country == "NL":
            first = rng.choice(NL_FIRST_NAMES)
            middle, last = rng.choice(NL_SURNAMES)
            title = rng.choice(NL_TITLES) if rng.random() < 0.15 else ""
            position = rng.choice(NL_POSITIONS)
        else:
            first, middle, last = rng.choice(NO_FIRST_NAMES), "", rng.choice(NO_SURNAMES)
            title = rng.choice(NO_TITLES) if rng.random() < 0.05 else ""
            position = rng.choice(NO_POSITIONS)
        local = ascii_slug(f"{first} {middle} {last}", ".", "")
        row = {
            "ERPKEY": f"PERS-{number}",
            "PARENTKEY": parent["ERPKEY"] if parent else "",
            "PARENTTYPE": parent_type if parent else "",
            "FIRSTNAME": first, "MIDDLENAME": middle, "LASTNAME": last, "TITLE": title,
            "NUMBER": str(number),
            "POSITION": position if parent else "",
            "EMAIL": "", "PHONE_DIRECT": "", "PHONE_MOBILE": "",
            "POSTALAD1": "", "POSTALZIP": "", "POSTALCITY": "", "COUNTRY": COUNTRY_NAMES[country],
            "LASTMODIFIED": _modified(rng),
        }
        if parent:
            domain = parent["EMAIL"].partition("@")[2]
            if rng.random() < 0.9:
                row["EMAIL"] = f"{local}@{domain}"
            if rng.random() < 0.6:
                city = next(c for c in NL_CITIES + NO_CITIES if c.name == parent["POSTALCITY"])
                row["PHONE_DIRECT"] = phone(rng, country, city)
        else:
            city = rng.choice(NL_CITIES if country == "NL" else NO_CITIES)
            row["EMAIL"] = f"{local}@{rng.choice(PERSONAL_MAIL[country])}"
            row["POSTALAD1"] = f"{rng.choice(city.streets)} {rng.randint(1, 240)}"
            row["POSTALZIP"] = postcode(rng, country, city)
            row["POSTALCITY"] = city.name
        if rng.random() < 0.8:
            row["PHONE_MOBILE"] = mobile(rng, country)
        return row


def generate(seed: int = 42, customers: int = 150, suppliers: int = 60,
             persons: int = 250) -> DemoData:
    """The demo tables; the same arguments always give the same data."""
    gen = _Generator(seed)
    rng = gen.rng
    customer_rows = gen.companies(customers, 10001, "CUST", CUSTOMER_CATEGORIES,
                                  SIGNATURE_CUSTOMERS)
    for row in customer_rows:
        row["CREDITLIMIT"] = str(rng.choice((0, 5000, 10000, 25000, 50000, 100000, 250000)))
        row["BLOCKED"] = "1" if rng.random() < 0.06 else "0"
    supplier_rows = gen.companies(suppliers, 20001, "SUPP", SUPPLIER_CATEGORIES,
                                  SIGNATURE_SUPPLIERS)
    for row in supplier_rows:
        row["PAYMENTDAYS"] = str(rng.choice((14, 14, 30, 30, 30, 45, 60)))
        row["PREFERRED"] = "1" if rng.random() < 0.3 else "0"
    person_rows = []
    for index in range(persons):
        draw = rng.random()
        if draw < 0.62 and customer_rows:
            parent, parent_type = rng.choice(customer_rows), "customer"
        elif draw < 0.87 and supplier_rows:
            parent, parent_type = rng.choice(supplier_rows), "supplier"
        else:
            parent, parent_type = None, ""
        person_rows.append(gen.person(30001 + index, parent, parent_type))
    return DemoData(
        customers=[_ordered(r, CUSTOMER_COLUMNS) for r in customer_rows],
        suppliers=[_ordered(r, SUPPLIER_COLUMNS) for r in supplier_rows],
        persons=[_ordered(r, PERSON_COLUMNS) for r in person_rows],
        lists=list(_list_rows()),
        fields=list(_field_rows()),
    )


def _ordered(row: dict[str, str], columns: Sequence[str]) -> dict[str, str]:
    return {c: row.get(c, "") for c in columns}


def _list_rows() -> Iterator[dict[str, str]]:
    for list_name, items in (("category", CATEGORIES), ("business", BUSINESSES)):
        for en, nl, no in items.values():
            yield {"LIST": list_name, "KEY": en, "NAME": en, "NAME_nl": nl, "NAME_no": no}


def _field_rows() -> Iterator[dict[str, str]]:
    for actor_type, columns in (("customer", CUSTOMER_COLUMNS), ("supplier", SUPPLIER_COLUMNS),
                                ("person", PERSON_COLUMNS)):
        for key in columns:
            if key in ("ERPKEY", "PARENTKEY", "PARENTTYPE"):
                continue
            if key in EXTRA_FIELDS:
                en, nl, no = EXTRA_FIELDS[key]
            else:
                names = WELL_KNOWN_FIELDS[key]
                en, nl, no = names["en"], names["nl"], names["no"]
            field_type = FIELD_TYPES.get(key, "text")
            yield {"ACTORTYPE": actor_type, "KEY": key, "NAME": en, "NAME_nl": nl,
                   "NAME_no": no, "TYPE": field_type,
                   "LIST": key.lower() if field_type == "list" else "",
                   "MAXLENGTH": str(MAX_LENGTHS.get(key, ""))}


# ------------------------------------------------------------------ writing

TABLES = ("customer", "supplier", "person", "lists", "fields")


def _tables(data: DemoData) -> dict[str, list[dict[str, str]]]:
    return {"customer": data.customers, "supplier": data.suppliers, "person": data.persons,
            "lists": data.lists, "fields": data.fields}


def _columns(name: str) -> list[str]:
    return {"customer": CUSTOMER_COLUMNS, "supplier": SUPPLIER_COLUMNS,
            "person": PERSON_COLUMNS, "lists": LIST_COLUMNS, "fields": FIELD_COLUMNS}[name]


def write_demo_workbook(folder: Path, seed: int = 42, customers: int = 150, suppliers: int = 60,
                        persons: int = 250) -> list[Path]:
    """Write customer.csv, supplier.csv, person.csv, lists.csv and fields.csv
    into ``folder`` (created if needed) and return their paths.

    The files are what Excel writes as "CSV UTF-8": a BOM, CRLF line ends,
    comma separators (the connector reads semicolons as well).
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = generate(seed, customers, suppliers, persons)
    written = []
    for name, rows in _tables(data).items():
        path = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=_columns(name), lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written


def write_demo_xlsx(path: Path, seed: int = 42, customers: int = 150, suppliers: int = 60,
                    persons: int = 250) -> Path:
    """The same data as :func:`write_demo_workbook`, as one XLSX workbook with a
    sheet per table. Numbers, checkboxes and time stamps are typed cells, as an
    admin's own Excel export would have them."""
    from openpyxl import Workbook

    data = generate(seed, customers, suppliers, persons)
    typed = {row["KEY"]: row["TYPE"] for row in data.fields}
    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = REFERENCE_TIME.replace(tzinfo=None)
    for name, rows in _tables(data).items():
        sheet = wb.create_sheet(name)
        columns = _columns(name)
        sheet.append(columns)
        for row in rows:
            convert = name in ("customer", "supplier", "person")
            sheet.append([_cell(row[c], typed.get(c) if convert else None) for c in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _cell(value: str, field_type: str | None) -> Any:
    if value == "":
        return None
    if field_type == "double":
        return float(value)
    if field_type == "integer":
        return int(value)
    if field_type == "checkbox":
        return value == "1"
    if field_type == "datetime":
        # Excel has no time zones: store UTC wall time (the connector reads naive as UTC).
        return datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m erpsync.demo [folder-or-xlsx]``: regenerate the demo data."""
    args = list(sys.argv[1:] if argv is None else argv)
    target = Path(args[0]) if args else DEMO_DATA_DIR
    if target.suffix.lower() == ".xlsx":
        print(write_demo_xlsx(target))
    else:
        for path in write_demo_workbook(target):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
