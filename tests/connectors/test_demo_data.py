"""The demo ERP: deterministic, realistic Dutch and Norwegian data, shipped as
CSV files the Workbook connector reads as they are."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from erpsync import demo, paths
from erpsync.connectors.base import ActorType, FieldType, Operator, Restriction
from erpsync.connectors.workbook import WorkbookConnector
from erpsync.i18n import localize

CUSTOMER, SUPPLIER, PERSON = ActorType.CUSTOMER, ActorType.SUPPLIER, ActorType.PERSON
SHIPPED = ("customer.csv", "supplier.csv", "person.csv", "lists.csv", "fields.csv")


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate()


def companies(data: demo.DemoData) -> list[dict[str, str]]:
    return data.customers + data.suppliers


def test_generation_is_deterministic(data: demo.DemoData) -> None:
    assert demo.generate() == data
    assert demo.generate(seed=7) != data


def test_shipped_files_are_the_generated_ones(tmp_path: Path) -> None:
    """The CSVs in erpsync/demo_data are exactly what the generator writes
    (regenerate them with ``python -m erpsync.demo`` after changing it)."""
    assert demo.DEMO_DATA_DIR == paths.DEMO_DATA_DIR
    written = demo.write_demo_workbook(tmp_path)
    assert [p.name for p in written] == list(SHIPPED)
    for path in written:
        assert path.read_bytes() == (paths.DEMO_DATA_DIR / path.name).read_bytes(), path.name


def test_counts(data: demo.DemoData) -> None:
    assert (len(data.customers), len(data.suppliers), len(data.persons)) == (150, 60, 250)
    small = demo.generate(seed=1, customers=12, suppliers=3, persons=9)
    assert (len(small.customers), len(small.suppliers), len(small.persons)) == (12, 3, 9)


def test_keys_and_codes_are_unique(data: demo.DemoData) -> None:
    for rows in (data.customers, data.suppliers, data.persons):
        assert len({r["ERPKEY"] for r in rows}) == len(rows)
    codes = [r["NUMBER1"] for r in companies(data)]
    assert len(set(codes)) == len(codes)


def test_names_a_dutch_or_norwegian_admin_recognises(data: demo.DemoData) -> None:
    names = {r["NAME"] for r in companies(data)}
    for expected in ("Bjørnstad Rørlegger AS", "Van der Ploeg & Zonen B.V.",
                     "IJsselmeer Visserij", "Café Løvenskiold"):
        assert expected in names
    text = " ".join(names) + " ".join(f"{p['FIRSTNAME']} {p['LASTNAME']}" for p in data.persons)
    for letters in ("æ", "ø", "å", "é", "IJ", "Ø", "Å"):
        assert letters in text
    assert any(n.endswith(" AS") for n in names) and any(n.endswith(" B.V.") for n in names)
    assert any(p["MIDDLENAME"] in ("van", "van der", "de") for p in data.persons)


def test_cities(data: demo.DemoData) -> None:
    cities = {r["POSTALCITY"] for r in companies(data) + data.persons}
    assert {"Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen", "Oslo", "Bergen",
            "Trondheim", "Tromsø", "Stavanger", "Ålesund"} <= cities


def elfproef(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def orgnr_ok(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits, (3, 2, 7, 6, 5, 4, 3, 2, 1), strict=True))
    return total % 11 == 0


def test_addresses_and_numbers_look_real(data: demo.DemoData) -> None:
    seen = Counter()
    for row in companies(data) + data.persons:
        country = row["COUNTRY"]
        zip_code = row["POSTALZIP"]
        phones = [row.get(k, "") for k in ("PHONE", "PHONE_DIRECT") if row.get(k)]
        if country == "Nederland":
            assert not zip_code or re.fullmatch(r"[1-9]\d{3} [A-Z]{2}", zip_code), zip_code
            assert zip_code[-2:] not in ("SA", "SD", "SS")
            for number in phones:
                assert re.fullmatch(r"\+31 \d{2,3} \d{3} \d{3,4}", number), number
                assert len(re.sub(r"\D", "", number)) == 11  # 31 + nine digits
            if row.get("PHONE_MOBILE"):
                assert re.fullmatch(r"\+31 6 \d{4} \d{4}", row["PHONE_MOBILE"])
        else:
            assert country == "Norge"
            assert not zip_code or re.fullmatch(r"\d{4}", zip_code), zip_code
            for number in phones:
                assert re.fullmatch(r"\+47 \d{2} \d{2} \d{2} \d{2}", number), number
            if row.get("PHONE_MOBILE"):
                assert re.fullmatch(r"\+47 [49]\d{2} \d{2} \d{3}", row["PHONE_MOBILE"])
        seen[country] += 1
        if row.get("EMAIL"):
            assert re.fullmatch(r"[a-z0-9.\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)+", row["EMAIL"])
        if row.get("URL"):
            assert re.fullmatch(r"https://www\.[a-z0-9\-]+\.(nl|no)", row["URL"])
    assert seen["Nederland"] > 100 and seen["Norge"] > 100
    vats = [r["VATNO"] for r in companies(data) if r["VATNO"]]
    assert len(vats) > 150
    for vat in vats:
        if vat.startswith("NL"):
            assert re.fullmatch(r"NL\d{9}B\d{2}", vat) and elfproef(vat[2:11]), vat
        else:
            assert re.fullmatch(r"NO \d{9} MVA", vat) and orgnr_ok(vat[3:12]), vat


def test_persons_belong_to_companies(data: demo.DemoData) -> None:
    customers = {r["ERPKEY"]: r for r in data.customers}
    suppliers = {r["ERPKEY"]: r for r in data.suppliers}
    kinds = Counter()
    for person in data.persons:
        assert person["FIRSTNAME"] and person["LASTNAME"]
        if person["PARENTKEY"]:
            parents = customers if person["PARENTTYPE"] == "customer" else suppliers
            assert person["PARENTTYPE"] in ("customer", "supplier")
            company = parents[person["PARENTKEY"]]
            assert person["COUNTRY"] == company["COUNTRY"]
            assert person["POSITION"]
            if person["EMAIL"]:
                assert person["EMAIL"].endswith(company["EMAIL"].partition("@")[2])
            kinds[person["PARENTTYPE"]] += 1
        else:
            assert person["PARENTTYPE"] == ""
            assert person["POSTALAD1"] and person["POSTALCITY"] and person["EMAIL"]
            kinds["none"] += 1
    assert kinds["customer"] > kinds["supplier"] > kinds["none"] > 10


def test_branches_share_a_name(data: demo.DemoData) -> None:
    """A few companies have two departments: the Name + Department match."""
    by_name = Counter(r["NAME"] for r in data.customers)
    twice = [name for name, n in by_name.items() if n > 1]
    assert twice
    for name in twice:
        departments = [r["DEPARTMENT"] for r in data.customers if r["NAME"] == name]
        assert all(departments) and len(set(departments)) == len(departments)


def test_lists_and_fields_are_translated(data: demo.DemoData) -> None:
    for row in data.lists + data.fields:
        assert row["NAME"] and row["NAME_nl"] and row["NAME_no"], row
    category_keys = {r["KEY"] for r in data.lists if r["LIST"] == "category"}
    business_keys = {r["KEY"] for r in data.lists if r["LIST"] == "business"}
    assert {r["CATEGORY"] for r in companies(data)} <= category_keys
    assert {r["BUSINESS"] for r in companies(data)} <= business_keys


# ------------------------------------------------------------------ through the connector


@pytest.fixture(scope="module")
def shipped() -> WorkbookConnector:
    return WorkbookConnector({"path": str(paths.DEMO_DATA_DIR)})


def test_connector_reads_the_shipped_data(shipped: WorkbookConnector) -> None:
    assert shipped.test().ok
    assert shipped.actor_types() == [CUSTOMER, SUPPLIER, PERSON]
    assert shipped.search(CUSTOMER, [], limit=0).total == 150
    fields = {f.key: f for f in shipped.fields(CUSTOMER)}
    assert fields["CREDITLIMIT"].type is FieldType.DOUBLE
    assert fields["BLOCKED"].type is FieldType.CHECKBOX
    assert localize(fields["CREDITLIMIT"].display_name, "nl") == "Kredietlimiet"
    assert localize(fields["POSTALCITY"].display_name, "no") == "Poststed"
    supplier_fields = {f.key: f for f in shipped.fields(SUPPLIER)}
    assert supplier_fields["PAYMENTDAYS"].type is FieldType.INTEGER
    assert localize(supplier_fields["PREFERRED"].display_name, "no") == "Foretrukket leverandør"
    categories = shipped.list_items("category")
    assert localize(categories[0].name, "no") == "Nøkkelkunde"


def test_searching_the_demo(shipped: WorkbookConnector, data: demo.DemoData) -> None:
    in_tromso = shipped.search(SUPPLIER, [Restriction("POSTALCITY", Operator.EQ, ("tromsø",))])
    assert in_tromso.total == sum(r["POSTALCITY"] == "Tromsø" for r in data.suppliers)
    fishing = shipped.search(CUSTOMER, [
        Restriction("BUSINESS", Operator.ONEOF, ("Fiske og havbruk",)),
        Restriction("CREDITLIMIT", Operator.GE, ("10000",)),
    ], limit=500)
    expected = [r["ERPKEY"] for r in data.customers
                if r["BUSINESS"] == "Fishing and aquaculture" and int(r["CREDITLIMIT"]) >= 10000]
    assert [a.key for a in fishing.actors] == expected and expected
    person = shipped.get_actors(PERSON, [data.persons[1]["ERPKEY"]])[0]
    assert person.parent_type is not None and person.parent_key
    assert shipped.get_actors(person.parent_type, [person.parent_key])


def test_xlsx_holds_the_same_actors(tmp_path: Path, shipped: WorkbookConnector) -> None:
    path = demo.write_demo_xlsx(tmp_path / "demo.xlsx")
    workbook = WorkbookConnector({"path": str(path)})
    assert workbook.test().ok
    for actor_type in (CUSTOMER, SUPPLIER, PERSON):
        assert list(workbook.iter_search(actor_type, [])) == \
            list(shipped.iter_search(actor_type, []))
    assert workbook.list_items("business") == shipped.list_items("business")
    assert workbook.fields(PERSON) == shipped.fields(PERSON)


def test_main_writes_a_folder_or_a_workbook(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main([str(tmp_path / "folder")]) == 0
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == sorted(SHIPPED)
    assert demo.main([str(tmp_path / "demo.xlsx")]) == 0
    assert (tmp_path / "demo.xlsx").stat().st_size > 10_000
    assert "demo.xlsx" in capsys.readouterr().out
