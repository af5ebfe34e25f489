"""The example declaration of docs/dataset.md (eu-h7 with IOSS), verbatim: one copy for every test
(plain data, no Django, so the pure engine tests can use it too)."""

DATASET_EXAMPLE = {
    "lrn": "MKT-2026-11-000123",
    "dataset": "eu-h7",
    "category": "sale_of_goods",
    "transport_document": {"type": "house_waybill", "number": "1234567890"},
    "transport_mode": "air",
    "country_of_dispatch": "CN",
    "expected_arrival": "2026-11-30T06:00:00Z",
    "order": {
        "number": "A-99812",
        "date": "2026-11-24T18:03:00Z",
        "platform": "Example Market",
        "payment": {
            "transaction_id": "PAY-77123",
            "provider": "ExamplePay",
            "amount": "47.80",
            "currency": "EUR",
        },
    },
    "seller": {
        "name": "Shenzhen Example Trading Co., Ltd.",
        "address": {
            "street": "12 Example Road",
            "city": "Shenzhen",
            "postcode": "518000",
            "country": "CN",
        },
        "identifiers": [{"scheme": "platform_seller_id", "value": "S-5521"}],
    },
    "consignee": {
        "name": "Marie Dupont",
        "address": {
            "street": "3 rue des Lilas",
            "city": "Lyon",
            "postcode": "69003",
            "country": "FR",
        },
        "email": "marie.dupont@example.org",
    },
    "vendor_tax_scheme": {"scheme": "IOSS", "number": "IM2500000015"},
    "currency": "EUR",
    "transport_cost": "4.00",
    "total_gross_mass_kg": "0.650",
    "packages": 1,
    "self_assessed_taxes": [{"type": "vat", "amount": "8.80"}],
    "items": [
        {
            "line": 1,
            "description": "Women's cotton T-shirt, knitted",
            "hs_code": "610910",
            "quantity": 2,
            "value": "24.00",
            "origin_country": "CN",
        },
        {
            "line": 2,
            "description": "Phone case, silicone, for smartphone",
            "hs_code": "392690",
            "quantity": 1,
            "value": "15.80",
            "origin_country": "CN",
        },
    ],
}


def own_number(lrn: str) -> str:
    """A house waybill number of the parcel declared under ``lrn``: an operator declares a parcel
    once at a time (a second open declaration of the same transport document is 409
    `transport_document_declared`), so tests that declare several parcels give each its own."""
    import zlib

    return f"8{zlib.crc32(lrn.encode()) % 10**9:09d}"


def example_for(lrn: str, example: dict | None = None) -> dict:
    """A deep copy of the example declaration (or of ``example``) as the parcel ``lrn``: that lrn
    and its own transport document number (`own_number`)."""
    import copy

    body = copy.deepcopy(DATASET_EXAMPLE if example is None else example)
    body["lrn"] = lrn
    body["transport_document"] = {"type": "house_waybill", "number": own_number(lrn)}
    return body
