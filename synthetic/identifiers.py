"""Identifiers that satisfy their official formats: SIREN/SIRET (Luhn), NIR, NTT, IBAN, BIC.

Every number is drawn from the generator's seeded random source; NIRs are made unique by
encoding a portfolio-wide serial in their commune and order digits, so two employees never
share a NIR unless a fault says so.
"""

from __future__ import annotations

import random

from stdnum import iban as std_iban
from stdnum import luhn

# Departments of birth as they appear in a NIR (Corsica is 2A/2B, there is no "20").
_DEPARTMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
# Corsica was one department, 20, until its split in 1976 (S21.G00.30.001/CCH-11).
CORSICA_SPLIT_YEAR = 1976

# Real French bank BICs, so payment files look like what an insurer's bank sends.
BICS = ("BNPAFRPPXXX", "SOGEFRPPXXX", "CRLYFRPPXXX", "AGRIFRPPXXX", "CMCIFRPPXXX", "CCBPFRPPXXX")


def siren(rng: random.Random) -> str:
    body = str(rng.randrange(10_000_000, 100_000_000))
    return body + luhn.calc_check_digit(body)


def siret(siren_number: str, establishment_index: int) -> str:
    """The NIC is a 4-digit establishment number plus a check digit over SIREN + NIC."""
    nic_body = f"{establishment_index + 1:04d}"
    return siren_number + nic_body + luhn.calc_check_digit(siren_number + nic_body)


def nir(rng: random.Random, serial: int, sex: int, birth_year: int, birth_month: int) -> str:
    """A 13-character NIR (without its key): sex, year, month, department, commune, order."""
    if not 0 <= serial < 999 * 999:
        raise ValueError("serial out of the NIR commune/order space")
    department = rng.choice(_DEPARTMENTS)
    if department in ("2A", "2B") and birth_year < CORSICA_SPLIT_YEAR:
        department = "20"
    commune, order = 1 + serial // 999, 1 + serial % 999
    return f"{sex}{birth_year % 100:02d}{birth_month:02d}{department}{commune:03d}{order:03d}"


def ntt(sex: int, siren_number: str, serial: int) -> str:
    """A temporary technical number as payroll assigns it (cahier technique S21.G00.30.020): the
    sex code, the employer's SIREN, then the employee's number in the company."""
    return f"{sex}{siren_number}{serial:08d}"


def _rib_key(bank: str, branch: str, account: str) -> str:
    # The French RIB key is not in python-stdnum (it only checks the IBAN's mod 97).
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def french_iban(bank: str, branch: str, account: str) -> str:
    bban = bank + branch + account + _rib_key(bank, branch, account)
    return "FR" + std_iban.calc_check_digits("FR00" + bban) + bban


def iban(rng: random.Random) -> str:
    return french_iban(
        f"{rng.randrange(10000, 40000):05d}",
        f"{rng.randrange(1, 99999):05d}",
        f"{rng.randrange(10**10, 10**11):011d}",
    )
