"""Seed a fresh Tryton database with a few hundred parties over JSON-RPC.

Run with the Tryton venv's Python (it needs ``python-stdnum``, which
``trytond-party`` pulls in, to produce identifiers with valid check digits):

    $TRYTON_WORK/venv/bin/python tools/tryton/seed.py URL DB USER PASSWORD

Only the standard library and stdnum are used, so this file does not depend on
the erpsync package. The data is deterministic (fixed random seed), so two
fixtures built from the same version of this file hold the same parties.

What it creates (see docs/connectors/tryton.md):

* countries NO and NL (a fresh Tryton database has none);
* party categories Customer (with child "Key account"), Supplier, Organisation,
  Person, and business categories (Retail, Wholesale, ...);
* the relation type "Works for" (reverse "Employs") of trytond-party-relationship;
* organisations with addresses in Norwegian and Dutch cities (æøå included),
  emails, phones, websites, and no_orgnr/no_vat/nl_vat identifiers with valid
  check digits;
* persons (category Person) linked to their company by a "Works for" relation,
  a few private persons without company, and a few archived parties.
"""

from __future__ import annotations

import base64
import json
import random
import sys
import urllib.request

from stdnum.nl import btw
from stdnum.no import orgnr

SEED = 20261122
N_ORGANISATIONS = 240
N_PERSONS = 160
N_PRIVATE_PERSONS = 8
BATCH = 100

NO_CITIES = [
    ("0150", "Oslo"), ("0250", "Oslo"), ("0560", "Oslo"), ("5003", "Bergen"),
    ("7010", "Trondheim"), ("9008", "Tromsø"), ("6002", "Ålesund"), ("8006", "Bodø"),
    ("4611", "Kristiansand"), ("4006", "Stavanger"), ("2609", "Lillehammer"),
    ("3510", "Hønefoss"), ("6800", "Førde"), ("6150", "Ørsta"), ("1430", "Ås"),
    ("3110", "Tønsberg"), ("8800", "Sandnessjøen"), ("9900", "Kirkenes"),
]
NO_STREETS = [
    "Storgata", "Kirkegata", "Øvre Slottsgate", "Kongens gate", "Strandveien", "Sjøgata",
    "Åsveien", "Bjørnstjerne Bjørnsons gate", "Bryggen", "Fjordgata", "Løkkeveien",
    "Tårnveien",
]
NL_CITIES = [
    ("1012 AB", "Amsterdam"), ("3011 AA", "Rotterdam"), ("3511 LN", "Utrecht"),
    ("2511 CV", "Den Haag"), ("9711 LM", "Groningen"), ("5611 EM", "Eindhoven"),
    ("5211 JN", "'s-Hertogenbosch"), ("2011 HH", "Haarlem"), ("8911 BK", "Leeuwarden"),
    ("6211 LE", "Maastricht"),
]
NL_STREETS = [
    "Damrak", "Coolsingel", "Oudegracht", "Lange Voorhout", "Herestraat", "Stratumseind",
    "Hinthamerstraat", "Grote Markt", "Nieuwestad", "Vrijthof",
]
NO_WORDS = [
    "Fjord", "Nordlys", "Blåbær", "Ærlig", "Østlandet", "Havbris", "Skog", "Tinde", "Solsikke",
    "Fossefall", "Bølge", "Reinsdyr", "Måke", "Lofoten", "Kystlys", "Grønn", "Trål", "Vestavind",
]
NO_NOUNS = ["Handel", "Fisk", "Bygg", "Data", "Transport", "Regnskap", "Elektro", "Marine"]
NO_FORMS = ["AS", "ASA", "AS", "AS"]
NL_WORDS = [
    "Van Dijk", "De Molen", "Tulp", "Zeewind", "Polder", "Grachten", "Dijkstra", "Oranje",
    "Kaasmeester", "Fietsfabriek", "Bloemen", "Haven",
]
NL_NOUNS = ["Handel", "Logistiek", "Techniek", "Advies", "Bouw", "Groep", "Import"]
NL_FORMS = ["B.V.", "B.V.", "N.V.", "V.O.F."]
BUSINESSES = ["Retail", "Wholesale", "Fisheries", "Shipping", "Consulting"]

NO_FIRST = ["Kari", "Ola", "Åse", "Bjørn", "Øystein", "Håkon", "Line", "Per", "Tone", "Sigrún",
            "Ingrid", "Lars", "Søren", "Marit"]
NO_LAST = ["Nordmann", "Hansen", "Johansen", "Ødegård", "Bråten", "Sæther", "Løvås", "Ågren",
           "Strøm", "Berg", "Haugen"]
NL_FIRST = ["Jan", "Anouk", "Daan", "Sanne", "Pieter", "Femke", "Sem", "Lotte", "Bram", "Eva"]
NL_LAST = ["van der Berg", "de Vries", "Jansen", "van Dijk", "Bakker", "de Jong", "ter Horst",
           "van den Heuvel", "Visser", "Smit"]


class Rpc:
    """A tiny JSON-RPC client (stdlib only) with a Tryton session."""

    def __init__(self, url: str, db: str, user: str, password: str) -> None:
        self.endpoint = f"{url.rstrip('/')}/{db}/rpc/"
        self.auth = ""
        uid, token, _ = self._call("common.db.login", [user, {"password": password}, "en"])
        self.auth = "Session " + base64.b64encode(f"{user}:{uid}:{token}".encode()).decode()

    def _call(self, method: str, params: list) -> object:
        body = json.dumps({"id": 1, "method": method, "params": params}).encode()
        headers = {"Content-Type": "application/json"}
        if self.auth:
            headers["Authorization"] = self.auth
        request = urllib.request.Request(self.endpoint, data=body, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=120) as response:
            payload = json.loads(response.read())
        if "error" in payload:
            raise RuntimeError(f"{method}: {payload['error']}")
        return payload["result"]

    def model(self, model: str, method: str, *args: object) -> object:
        return self._call(f"model.{model}.{method}", [*args, {}])


def valid_orgnr(rng: random.Random) -> str:
    while True:
        number = str(rng.randint(800_000_000, 999_999_999))
        if orgnr.is_valid(number):
            return number


def valid_nl_vat(rng: random.Random) -> str:
    while True:
        number = f"NL{rng.randint(1_000_000, 999_999_999):09d}B{rng.randint(1, 99):02d}"
        if btw.is_valid(number):
            return number


def slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "'": "", ".": ""})
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum())


def organisation(rng: random.Random, index: int, ids: dict[str, int]) -> dict:
    norwegian = rng.random() < 0.6
    if norwegian:
        name = f"{rng.choice(NO_WORDS)} {rng.choice(NO_NOUNS)} {rng.choice(NO_FORMS)}"
        zip_, city = rng.choice(NO_CITIES)
        street = f"{rng.choice(NO_STREETS)} {rng.randint(1, 120)}"
        country, phone_prefix, tld = ids["NO"], "+47", "no"
    else:
        name = f"{rng.choice(NL_WORDS)} {rng.choice(NL_NOUNS)} {rng.choice(NL_FORMS)}"
        zip_, city = rng.choice(NL_CITIES)
        street = f"{rng.choice(NL_STREETS)} {rng.randint(1, 120)}"
        country, phone_prefix, tld = ids["NL"], "+31", "nl"
    name = f"{name} {index}"  # unique, and numbered like the notes' examples
    roll = rng.random()
    kinds = (["Customer"] if roll < 0.45 else ["Key account"] if roll < 0.55
             else ["Supplier"] if roll < 0.78 else ["Customer", "Supplier"] if roll < 0.95
             else [])
    categories = [ids["Organisation"], *(ids[k] for k in kinds)]
    if rng.random() < 0.8:
        categories.append(ids[rng.choice(BUSINESSES)])
    domain = f"{slug(name)}.{tld}"
    mechanisms = []
    if rng.random() < 0.9:
        mechanisms.append({"type": "email", "value": f"post@{domain}"})
    if rng.random() < 0.15:
        mechanisms.append({"type": "email", "value": f"invoice@{domain}"})
    if rng.random() < 0.8:
        mechanisms.append({"type": "phone", "value": f"{phone_prefix} {rng.randint(20, 99)} "
                                                     f"{rng.randint(100000, 999999)}"})
    if rng.random() < 0.6:
        mechanisms.append({"type": "website", "value": f"https://www.{domain}"})
    identifiers = []
    if norwegian:
        number = valid_orgnr(rng)
        identifiers.append({"type": "no_orgnr", "code": number})
        if rng.random() < 0.7:
            identifiers.append({"type": "no_vat", "code": f"NO{number}MVA"})
    elif rng.random() < 0.85:
        identifiers.append({"type": "nl_vat", "code": valid_nl_vat(rng)})
    addresses = [{"street": street, "postal_code": zip_, "city": city, "country": country}]
    if rng.random() < 0.1:  # a second (delivery) address
        zip2, city2 = rng.choice(NO_CITIES if norwegian else NL_CITIES)
        addresses.append({"street": f"Lager {rng.randint(1, 9)}", "postal_code": zip2,
                          "city": city2, "country": country})
    return {
        "_norwegian": norwegian, "_domain": domain,  # popped before create
        "name": name,
        "categories": [["add", categories]],
        "addresses": [["create", addresses]],
        "contact_mechanisms": [["create", mechanisms]] if mechanisms else [],
        "identifiers": [["create", identifiers]] if identifiers else [],
    }


def person(rng: random.Random, company: dict | None, ids: dict[str, int],
           works_for: int) -> dict:
    norwegian = company["norwegian"] if company else rng.random() < 0.6
    first = rng.choice(NO_FIRST if norwegian else NL_FIRST)
    last = rng.choice(NO_LAST if norwegian else NL_LAST)
    if rng.random() < 0.1:  # a double first name
        first = f"{first} {rng.choice(NO_FIRST if norwegian else NL_FIRST)}"
    name = f"{first} {last}"
    mail_domain = company["domain"] if company else "example.com"
    mechanisms = []
    if rng.random() < 0.85:
        mechanisms.append({"type": "email", "value": f"{slug(first)}.{slug(last)}@{mail_domain}"})
    if rng.random() < 0.7:
        mechanisms.append({"type": "phone", "value": f"{'+47' if norwegian else '+31'} "
                                                     f"{rng.randint(20, 99)} "
                                                     f"{rng.randint(100000, 999999)}"})
    if rng.random() < 0.6:
        mechanisms.append({"type": "mobile", "value": f"{'+47 9' if norwegian else '+31 6'}"
                                                      f"{rng.randint(1000000, 9999999)}"})
    values: dict = {
        "name": name,
        "categories": [["add", [ids["Person"]]]],
        "contact_mechanisms": [["create", mechanisms]] if mechanisms else [],
    }
    if company is None or rng.random() < 0.3:  # own (home) address
        zip_, city = rng.choice(NO_CITIES if norwegian else NL_CITIES)
        street = f"{rng.choice(NO_STREETS if norwegian else NL_STREETS)} {rng.randint(1, 99)}"
        values["addresses"] = [["create", [{
            "street": street, "postal_code": zip_, "city": city,
            "country": ids["NO" if norwegian else "NL"]}]]]
    if company is None:
        values["categories"] = [["add", [ids["Person"], ids["Customer"]]]]
    else:
        values["relations"] = [["create", [{"to": company["id"], "type": works_for}]]]
    return values


def create(rpc: Rpc, model: str, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        ids.extend(rpc.model(model, "create", rows[start:start + BATCH]))
    return ids


def seed(rpc: Rpc) -> dict[str, int]:
    rng = random.Random(SEED)
    ids: dict[str, int] = {}
    no, nl = rpc.model("country.country", "create", [
        {"name": "Norway", "code": "NO", "code3": "NOR", "code_numeric": "578"},
        {"name": "Netherlands", "code": "NL", "code3": "NLD", "code_numeric": "528"},
    ])
    ids.update(NO=no, NL=nl)
    names = ["Customer", "Supplier", "Organisation", "Person", *BUSINESSES]
    ids.update(zip(names, rpc.model("party.category", "create", [{"name": n} for n in names]),
                   strict=True))
    (ids["Key account"],) = rpc.model("party.category", "create",
                                      [{"name": "Key account", "parent": ids["Customer"]}])
    (works_for,) = rpc.model("party.relation.type", "create", [{"name": "Works for"}])
    (employs,) = rpc.model("party.relation.type", "create",
                           [{"name": "Employs", "reverse": works_for}])
    rpc.model("party.relation.type", "write", [works_for], {"reverse": employs})

    rows = [organisation(rng, i + 1, ids) for i in range(N_ORGANISATIONS)]
    # Names that need escaping in LIKE patterns.
    rows[0]["name"] = "100% Fisk AS"
    rows[1]["name"] = "Data_Lab B.V."
    rows[2]["name"] = "Blåbær & Ørret Handel AS"
    rows[3]["name"] = "1000 Bølger AS"  # matches "100%" only if % is not escaped
    rows[4]["name"] = "Data-Lab Sør AS"  # matches "Data_Lab" only if _ is not escaped
    for row in rows[:5]:  # both customer and supplier, so every test finds them
        row["categories"] = [["add", [ids["Organisation"], ids["Customer"], ids["Supplier"]]]]
    meta = [{"norwegian": row.pop("_norwegian"), "domain": row.pop("_domain")} for row in rows]
    org_ids = create(rpc, "party.party", rows)
    companies = [{"id": pid, **m} for pid, m in zip(org_ids, meta, strict=True)]

    people = [person(rng, rng.choice(companies), ids, works_for) for _ in range(N_PERSONS)]
    people += [person(rng, None, ids, works_for) for _ in range(N_PRIVATE_PERSONS)]
    people[0]["name"] = "Jan van der Berg"  # a Dutch name with a particle
    people[1]["name"] = "Åse Marit Ødegård"
    person_ids = create(rpc, "party.party", people)

    # Archived parties: created active, then deactivated (see the notes, gotcha 4).
    archived = org_ids[-4:] + person_ids[-2:]
    rpc.model("party.party", "write", archived, {"active": False})
    return {"organisations": len(org_ids), "persons": len(person_ids), "archived": len(archived)}


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    url, db, user, password = argv[1:]
    print(json.dumps(seed(Rpc(url, db, user, password))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
