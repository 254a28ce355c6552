"""ModelResources importing the benchmark CSV (columns are DESIGN.md field keys)."""

from import_export import fields, resources
from import_export.instance_loaders import CachedInstanceLoader

from .models import Company

#: CSV column (field key) -> model field.
COLUMNS = {
    "ERPKEY": "erp_key", "NAME": "name", "DEPARTMENT": "department", "NUMBER1": "code",
    "NUMBER2": "number", "VATNO": "vatno", "PHONE": "phone", "EMAIL": "email", "URL": "url",
    "POSTALAD1": "postal_ad1", "POSTALAD2": "postal_ad2", "POSTALZIP": "postal_zip",
    "POSTALCITY": "postal_city", "COUNTRY": "country", "CATEGORY": "category",
    "BUSINESS": "business", "LASTMODIFIED": "last_modified",
}


def _declared_fields() -> dict:
    return {attr: fields.Field(attribute=attr, column_name=column)
            for column, attr in COLUMNS.items()}


class CompanyResource(resources.ModelResource):
    """The default mode: a lookup and a save() per row, with diffs."""

    locals().update(_declared_fields())

    class Meta:
        model = Company
        import_id_fields = ("erp_key",)
        fields = tuple(COLUMNS.values())


class FastCompanyResource(resources.ModelResource):
    """The fastest documented configuration ("Performance tuning" in the
    django-import-export docs): bulk create/update, all existing instances
    loaded at once, no diffs."""

    locals().update(_declared_fields())

    class Meta:
        model = Company
        import_id_fields = ("erp_key",)
        fields = tuple(COLUMNS.values())
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        instance_loader_class = CachedInstanceLoader
