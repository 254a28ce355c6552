"""Deterministic benchmark data: Dutch and Norwegian companies as one CSV file.

Columns are the field keys of DESIGN.md (``ERPKEY``, ``NAME``, ``NUMBER1``, ...),
as the Workbook connector and an ERP export name them. Names, streets, cities,
phone numbers, postcodes and VAT numbers come from :mod:`erpsync.demo`'s pools
and helpers; unlike the demo, names may repeat (a million unique company names
would be unrealistic, and every contestant matches on the ERP key).

The same ``rows`` and ``seed`` always give the same file. Rows with an even
index are "already in the CRM": :func:`crm_version` turns such a row into the
older values the CRM holds (another street number and phone), so importing
the file really updates them.

    python bench/generate.py 100000 /tmp/companies.csv
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Iterator
from pathlib import Path

try:
    from erpsync import demo
except ImportError:  # the peer's own venv only reads files generated before
    demo = None  # type: ignore[assignment]

COLUMNS = ["ERPKEY", "NAME", "DEPARTMENT", "NUMBER1", "NUMBER2", "VATNO", "PHONE", "EMAIL",
           "URL", "POSTALAD1", "POSTALAD2", "POSTALZIP", "POSTALCITY", "COUNTRY", "CATEGORY",
           "BUSINESS", "LASTMODIFIED"]
#: Columns of the CRM's company table in the floor and peer contestants.
KEY_COLUMN = "ERPKEY"
DEFAULT_SEED = 20250630
#: ERP keys are ``CUST-<KEY_BASE + index>``.
KEY_BASE = 1_000_000


def erp_key(index: int) -> str:
    return f"CUST-{KEY_BASE + index}"


def in_crm(index: int) -> bool:
    """Half the companies (every even row) are already in the CRM."""
    return index % 2 == 0


def _name(rng: random.Random, country: str) -> tuple[str, str]:
    """(business key, company name) in the demo's styles."""
    style = rng.random()
    if country == "NL":
        particle, surname = rng.choice(demo.NL_SURNAMES)
        family = f"{particle.capitalize()} {surname}".strip()
        if style < 0.5:
            business, trade = rng.choice(demo.NL_TRADES)
            return business, f"{family} {trade} {rng.choice(demo.NL_FORMS)}".strip()
        if style < 0.75:
            business, shop = rng.choice(demo.NL_SHOPS)
            return business, f"{shop} {family}"
        if style < 0.9:
            return rng.choice(("manufacturing", "construction", "retail")), \
                f"{family} & Zonen B.V."
        business, name = rng.choice(demo.NL_FIXED)
        return business, f"{name} {rng.choice(demo.NL_FORMS)}".strip()
    surname = rng.choice(demo.NO_SURNAMES)
    if style < 0.5:
        business, trade = rng.choice(demo.NO_TRADES)
        return business, f"{surname} {trade} {rng.choice(demo.NO_FORMS)}"
    if style < 0.7:
        business, shop = rng.choice(demo.NO_SHOPS)
        return business, f"{shop} {surname}"
    if style < 0.85:
        return rng.choice(("manufacturing", "construction", "transport")), \
            f"{surname} & {rng.choice(('Sønn', 'Sønner'))} AS"
    business, name = rng.choice(demo.NO_FIXED)
    return business, f"{name} {rng.choice(demo.NO_FORMS)}"


def company(rng: random.Random, index: int) -> dict[str, str]:
    """Row ``index`` of the file (drawn from ``rng``, which must be at that row)."""
    country = "NL" if rng.random() < 0.55 else "NO"
    business, name = _name(rng, country)
    city = rng.choice(demo.NL_CITIES if country == "NL" else demo.NO_CITIES)
    words = [w for w in name.split() if w.lower() not in demo.LEGAL_FORMS]
    domain = demo.ascii_slug(" ".join(words), "-", "en" if country == "NL" else "og")
    domain = f"{domain}.{country.lower()}"
    postal_ad2 = ""
    if rng.random() < 0.15:
        postal_ad2 = (f"Postbus {rng.randint(100, 9999)}" if country == "NL"
                      else f"Postboks {rng.randint(1, 999)}")
    departments = demo.NL_DEPARTMENTS if country == "NL" else demo.NO_DEPARTMENTS
    return {
        "ERPKEY": erp_key(index),
        "NAME": name,
        "DEPARTMENT": rng.choice(departments) if rng.random() < 0.1 else "",
        "NUMBER1": f"{demo.ascii_slug(name).upper()[:4].ljust(4, 'X')}{index % 1000:03d}",
        "NUMBER2": str(KEY_BASE + index),
        "VATNO": demo.vat_number(rng, country) if rng.random() < 0.9 else "",
        "PHONE": demo.phone(rng, country, city),
        "EMAIL": f"{rng.choice(('info', 'post', 'kontakt' if country == 'NO' else 'contact'))}"
                 f"@{domain}",
        "URL": f"https://www.{domain}" if rng.random() < 0.85 else "",
        "POSTALAD1": f"{rng.choice(city.streets)} {rng.randint(1, 240)}",
        "POSTALAD2": postal_ad2,
        "POSTALZIP": demo.postcode(rng, country, city),
        "POSTALCITY": city.name,
        "COUNTRY": demo.COUNTRY_NAMES[country],
        "CATEGORY": demo.CATEGORIES[rng.choice(demo.CUSTOMER_CATEGORIES)][0],
        "BUSINESS": demo.BUSINESSES[business][0],
        "LASTMODIFIED": demo._modified(rng),
    }


def companies(rows: int, seed: int = DEFAULT_SEED) -> Iterator[dict[str, str]]:
    """The rows of the file, one at a time."""
    rng = random.Random(seed)
    for index in range(rows):
        yield company(rng, index)


def crm_version(row: dict[str, str]) -> dict[str, str]:
    """What the CRM holds of a company already in it: an older street number
    and phone number (the ERP moved on since the last import)."""
    old = dict(row)
    street, _, number = row["POSTALAD1"].rpartition(" ")
    old["POSTALAD1"] = f"{street} {int(number) % 240 + 1}"
    digits = row["PHONE"][-2:]
    old["PHONE"] = f"{row['PHONE'][:-2]}{(int(digits) + 37) % 100:02d}"
    return old


def write_csv(path: Path, rows: int, seed: int = DEFAULT_SEED) -> Path:
    """Write the file (UTF-8, comma separated, a header row); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(companies(rows, seed))
    partial.replace(path)
    return path


def cached_csv(folder: Path, rows: int, seed: int = DEFAULT_SEED) -> Path:
    """The file for ``rows`` and ``seed`` in ``folder``, generated the first time."""
    path = folder / f"companies-{rows}-{seed}.csv"
    return path if path.exists() else write_csv(path, rows, seed)


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a generated file with their index, streamed."""
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def crm_rows(path: Path) -> Iterator[dict[str, str]]:
    """The CRM's version of every company of the file that is already in it."""
    for index, row in enumerate(read_csv(path)):
        if in_crm(index):
            yield crm_version(row)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"companies-{count}.csv")
    print(write_csv(target, count))
