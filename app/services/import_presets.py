"""Import presets: the column headers of the CSV files HubSpot and Salesforce export, mapped
onto Rapport's fields, and their values (lifecycle stage, lead status, account type, rating,
country names, head counts) translated to Rapport's. Data only: how a preset is detected
and applied is app.services.import_preset_rules.

`columns` maps a record type to {header: field}; when several headers give one field, the
first present in the file wins. `values` maps a field to {their value: Rapport's value}
(compared without case, spaces or punctuation), or to the name of a converter; a value a
table does not know is left empty, so the record keeps Rapport's default. `signature`:
headers only this export has; a file with one of them and three mapped headers is
recognised at upload.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

HUBSPOT_LEAD_STATUS = {
    "new": "NEW", "open": "NEW", "inprogress": "CONTACTED", "attemptedtocontact": "CONTACTED",
    "connected": "CONTACTED", "opendeal": "QUALIFIED",
    "unqualified": "UNQUALIFIED", "badtiming": "UNQUALIFIED",
}  # fmt: skip
SALESFORCE_LEAD_STATUS = {
    "opennotcontacted": "NEW", "open": "NEW", "new": "NEW",
    "workingcontacted": "CONTACTED", "contacted": "CONTACTED", "working": "CONTACTED",
    "nurturing": "CONTACTED", "qualified": "QUALIFIED",
    # Rapport converts leads itself; a lead converted elsewhere arrives qualified.
    "closedconverted": "QUALIFIED", "closednotconverted": "UNQUALIFIED",
    "unqualified": "UNQUALIFIED",
}  # fmt: skip
HUBSPOT_LIFECYCLE = {
    "subscriber": "LEAD", "lead": "LEAD", "marketingqualifiedlead": "LEAD",
    "salesqualifiedlead": "LEAD", "opportunity": "PROSPECT", "customer": "CUSTOMER",
    "evangelist": "CUSTOMER",
}  # fmt: skip
SALESFORCE_ACCOUNT_TYPE = {
    "prospect": "PROSPECT", "customerdirect": "CUSTOMER", "customerchannel": "CUSTOMER",
    "customer": "CUSTOMER", "channelpartnerreseller": "PARTNER", "installationpartner": "PARTNER",
    "technologypartner": "PARTNER", "partner": "PARTNER",
}  # fmt: skip
RATING = {"hot": "HOT", "warm": "WARM", "cold": "COLD"}

_HUBSPOT_PERSON = {
    "First Name": "first_name", "Last Name": "last_name", "Email": "email",
    "Phone Number": "phone", "Mobile Phone Number": "mobile", "Job Title": "title",
    "Contact owner": "owner_email",
}  # fmt: skip
_SALESFORCE_PERSON = {
    "First Name": "first_name", "Last Name": "last_name", "Title": "title", "Email": "email",
    "Phone": "phone", "Mobile": "mobile", "Mobile Phone": "mobile",
    "Contact Owner": "owner_email", "Lead Owner": "owner_email",
}  # fmt: skip

PRESETS: dict[str, dict] = {
    "hubspot_contacts": {
        "label": _l("HubSpot contacts export"),
        "signature": ["Contact owner", "Lifecycle Stage", "Record ID"],
        "columns": {
            "contact": {**_HUBSPOT_PERSON, "Company Name": "customer",
                        "Associated Company": "customer"},
            "lead": {
                **_HUBSPOT_PERSON, "Company Name": "company", "Lead Status": "status",
                "City": "city", "State/Region": "region", "Country/Region": "country",
                "Website URL": "website", "Industry": "industry",
                "Annual Revenue": "annual_revenue", "Number of Employees": "employees",
                "Original Source": "source_detail",
            },
        },
        "values": {"status": HUBSPOT_LEAD_STATUS, "country": "country_code",
                   "annual_revenue": "number", "employees": "number"},
    },
    "hubspot_companies": {
        "label": _l("HubSpot companies export"),
        "signature": ["Company owner", "Company Domain Name"],
        "columns": {
            "customer": {
                "Company name": "name", "Name": "name", "Website URL": "website",
                "Company Domain Name": "website", "Phone Number": "phone", "Industry": "industry",
                "Lifecycle Stage": "status", "Number of Employees": "size",
                "Street Address": "address_line1", "Street Address 2": "address_line2",
                "City": "address_city", "State/Region": "address_region",
                "Postal Code": "address_postal_code", "Country/Region": "address_country",
                "Description": "description", "Company owner": "owner_email",
                "Original Source": "source",
            },
        },
        "values": {"status": HUBSPOT_LIFECYCLE, "size": "size_from_employees",
                   "address_country": "country_code"},
    },
    "salesforce_people": {
        "label": _l("Salesforce contacts or leads report"),
        "signature": ["Contact Owner", "Lead Owner", "Mailing Street", "Lead Status",
                      "Company / Account"],
        "columns": {
            "contact": {**_SALESFORCE_PERSON, "Department": "department",
                        "Account Name": "customer"},
            "lead": {
                **_SALESFORCE_PERSON, "Company / Account": "company", "Company": "company",
                "Account Name": "company", "Lead Status": "status", "Industry": "industry",
                "Annual Revenue": "annual_revenue", "Employees": "employees",
                "No. of Employees": "employees", "Website": "website",
                "Mailing City": "city", "City": "city",
                "Mailing State/Province": "region", "State/Province": "region",
                "Mailing Country": "country", "Country": "country",
                "Lead Source": "source_detail", "Description": "description",
            },
        },
        "values": {"status": SALESFORCE_LEAD_STATUS, "country": "country_code",
                   "annual_revenue": "number", "employees": "number"},
    },
    "salesforce_accounts": {
        "label": _l("Salesforce accounts export"),
        "signature": ["Account Owner", "Billing Street", "Billing City"],
        "columns": {
            "customer": {
                "Account Name": "name", "Type": "status", "Industry": "industry",
                "Rating": "rating", "Phone": "phone", "Website": "website",
                "Employees": "size", "Billing Street": "address_line1",
                "Billing City": "address_city", "Billing State/Province": "address_region",
                "Billing Zip/Postal Code": "address_postal_code",
                "Billing Country": "address_country", "Account Owner": "owner_email",
                "Description": "description", "Account Source": "source",
            },
        },
        "values": {"status": SALESFORCE_ACCOUNT_TYPE, "rating": RATING,
                   "size": "size_from_employees", "address_country": "country_code"},
    },
}  # fmt: skip

# Customer size by head count: (fewer than this many employees, size).
SIZE_BANDS = ((50, "SMALL"), (250, "MEDIUM"), (1000, "LARGE"))
LARGEST_SIZE = "ENTERPRISE"
