"""ISO 4217 minor units: how many decimal places a currency's smallest unit has."""

# Minor units that are not 2 (the rest use 2).
CURRENCY_PLACES = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "HUF": 2,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
    "LYD": 3,
    "IQD": 3,
}


def currency_places(currency: str) -> int:
    """Decimal places of the currency's minor unit (2 unless ISO 4217 says otherwise)."""
    return CURRENCY_PLACES.get((currency or "").upper(), 2)
