"""The CRM's companies, one column per field key of the benchmark's CSV."""

from django.db import models


class Company(models.Model):
    erp_key = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200, blank=True, db_index=True)
    department = models.CharField(max_length=200, blank=True)
    code = models.CharField(max_length=50, blank=True)
    number = models.CharField(max_length=50, blank=True)
    vatno = models.CharField(max_length=50, blank=True)
    phone = models.CharField(max_length=250, blank=True)
    email = models.CharField(max_length=250, blank=True)
    url = models.CharField(max_length=250, blank=True)
    postal_ad1 = models.CharField(max_length=200, blank=True)
    postal_ad2 = models.CharField(max_length=200, blank=True)
    postal_zip = models.CharField(max_length=20, blank=True)
    postal_city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=100, blank=True)
    business = models.CharField(max_length=100, blank=True)
    last_modified = models.CharField(max_length=40, blank=True)

    class Meta:
        app_label = "crm"
