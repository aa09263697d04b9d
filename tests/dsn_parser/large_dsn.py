"""A small, fast builder of large realistic DSN files for the reader's benchmarks.

Not the product's synthetic generator (that one lives in `synthetic/` and models a portfolio):
this one only needs volume with the shapes that cost the reader something: many establishments
and employees, every OC block (15, 20/55, 40, 60, 62, 65, 70, 78/79/81), names with accents,
apostrophes and commas, Latin-1 bytes, all inside an insurer's lot envelope.
"""

from __future__ import annotations

import random
from pathlib import Path

from stdnum import luhn

# Departments of birth coded in a NIR whatever the year of birth (20 stopped in 1976).
DEPARTMENTS = [number for number in range(1, 96) if number != 20]
SURNAMES = ["D'ARTAGNAN", "LÉONARD", "MÜLLER", "N'DIAYE", "CÔTÉ", "DUPONT", "O'NEIL, JR", "FAÑEZ"]
FIRST_NAMES = ["JÉRÔME", "ANAÏS", "FRANÇOIS", "ZOÉ", "MARIE-HÉLÈNE", "'ALI", "BJÖRN", "ÉLODIE"]

ENVOI_HEADER = """S10.G00.00.001,'LOGICIEL PAIE'
S10.G00.00.002,'ÉDITEUR'
S10.G00.00.003,'v2.1'
S10.G00.00.004,'01'
S10.G00.00.005,'02'
S10.G00.00.006,'P24V01'
S10.G00.00.007,'01'
S10.G00.00.008,'01'
S10.G00.01.001,'{siren}'
S10.G00.01.002,'{nic}'
S10.G00.01.003,'CABINET D'EXPERTISE, PARIS'
S10.G00.01.004,'12 RUE DE L'ÉGLISE'
S10.G00.01.005,'75001'
S10.G00.01.006,'PARIS'
S10.G00.02.001,'01'
S10.G00.02.002,'HÉLÈNE D'ORMESSON'
S10.G00.02.004,'paie@example.invalid'
S10.G00.02.005,'0102030405'
S20.G00.05.001,'01'
S20.G00.05.002,'01'
S20.G00.05.003,'11'
S20.G00.05.004,'{order}'
S20.G00.05.005,'01032024'
S20.G00.05.007,'05042024'
S20.G00.05.008,'01'
S20.G00.05.010,'01'
S20.G00.07.001,'SERVICE PAIE'
S20.G00.07.002,'0102030405'
S20.G00.07.003,'paie@example.invalid'
S20.G00.07.004,'01'
S21.G00.06.001,'{siren}'
S21.G00.06.002,'{nic}'
S21.G00.06.003,'7022Z'
S21.G00.06.004,'3 AVENUE DE L'OPÉRA'
S21.G00.06.005,'75002'
S21.G00.06.006,'PARIS'
S21.G00.06.009,'{headcount}'
S21.G00.11.001,'{nic}'
S21.G00.11.002,'7022Z'
S21.G00.11.003,'3 AVENUE DE L'OPÉRA'
S21.G00.11.004,'75002'
S21.G00.11.005,'PARIS'
S21.G00.11.008,'{headcount}'
S21.G00.11.022,'1486'
S21.G00.15.001,'PREV-{siren}'
S21.G00.15.002,'P1020'
S21.G00.15.004,'01'
S21.G00.15.005,'1'
S21.G00.15.001,'SANTE-{siren}'
S21.G00.15.002,'P1020'
S21.G00.15.004,'01'
S21.G00.15.005,'2'
S21.G00.20.001,'P1020'
S21.G00.20.002,'{siren}{nic}'
S21.G00.20.003,'BDFEFRPPCCT'
S21.G00.20.004,'FR7630001007941234567890185'
S21.G00.20.005,'{payment}'
S21.G00.20.006,'01032024'
S21.G00.20.007,'31032024'
S21.G00.20.010,'05'
S21.G00.20.011,'15042024'
S21.G00.55.001,'{half}'
S21.G00.55.002,'C4P'
S21.G00.55.003,'PREV-{siren}'
S21.G00.55.004,'2024M03'
S21.G00.55.001,'{half}'
S21.G00.55.002,'C4P'
S21.G00.55.003,'SANTE-{siren}'
S21.G00.55.004,'2024M03'
S21.G00.22.001,'31463548300014'
S21.G00.22.003,'01032024'
S21.G00.22.004,'31032024'
S21.G00.22.005,'1883.00'
S21.G00.23.001,'100'
S21.G00.23.002,'921'
S21.G00.23.003,'15.45'
S21.G00.23.004,'3428.00'
S21.G00.23.005,'530.00'
S21.G00.23.001,'635'
S21.G00.23.002,'920'
S21.G00.23.003,'06.00'
S21.G00.23.004,'4000.00'
S21.G00.23.005,'240.00'
"""

EMPLOYEE = """S21.G00.30.001,'{nir}'
S21.G00.30.002,'{surname}'
S21.G00.30.004,'{first_name}'
S21.G00.30.005,'0{sex}'
S21.G00.30.006,'1505{birth_year}'
S21.G00.30.007,'SAINT-ÉTIENNE'
S21.G00.30.008,'{street} RUE DE L'ÉCOLE, BÂT. B'
S21.G00.30.009,'42000'
S21.G00.30.010,'SAINT ETIENNE'
S21.G00.30.013,'01'
S21.G00.30.014,'42'
S21.G00.30.015,'FR'
S21.G00.30.019,'2'
S21.G00.40.001,'01062019'
S21.G00.40.002,'04'
S21.G00.40.003,'01'
S21.G00.40.004,'373c'
S21.G00.40.006,'CHARGÉ D'ÉTUDES'
S21.G00.40.007,'01'
S21.G00.40.008,'99'
S21.G00.40.009,'{contract_no}'
S21.G00.40.011,'10'
S21.G00.40.012,'151.67'
S21.G00.40.013,'151.67'
S21.G00.40.014,'10'
S21.G00.40.016,'99'
S21.G00.40.017,'1486'
S21.G00.40.018,'200'
S21.G00.40.019,'{siren}{nic}'
S21.G00.40.020,'200'
S21.G00.40.024,'99'
S21.G00.40.026,'99'
S21.G00.40.036,'01'
S21.G00.40.037,'01'
S21.G00.40.039,'200'
S21.G00.40.040,'741GB'
S21.G00.40.043,'00.80'
{events}S21.G00.70.004,'OPT1'
S21.G00.70.005,'C4P'
S21.G00.70.007,'0'
S21.G00.70.008,'1'
S21.G00.70.009,'0'
S21.G00.70.010,'0'
S21.G00.70.011,'{children}'
S21.G00.70.012,'1'
S21.G00.70.013,'1'
S21.G00.70.004,'OPT2'
S21.G00.70.005,'C4P'
S21.G00.70.012,'2'
S21.G00.70.013,'2'
S21.G00.71.002,'RUAA'
S21.G00.50.001,'31032024'
S21.G00.50.002,'{net}'
S21.G00.50.003,'01'
S21.G00.50.004,'{net}'
S21.G00.50.006,'04.40'
S21.G00.50.007,'01'
S21.G00.50.009,'151.82'
S21.G00.50.013,'{gross}'
S21.G00.51.001,'01032024'
S21.G00.51.002,'31032024'
S21.G00.51.010,'{contract_no}'
S21.G00.51.011,'001'
S21.G00.51.013,'{gross}'
S21.G00.51.001,'01032024'
S21.G00.51.002,'31032024'
S21.G00.51.010,'{contract_no}'
S21.G00.51.011,'002'
S21.G00.51.013,'{gross}'
S21.G00.78.001,'31'
S21.G00.78.002,'01032024'
S21.G00.78.003,'31032024'
S21.G00.78.004,'0.00'
S21.G00.78.005,'1'
S21.G00.79.001,'11'
S21.G00.79.004,'{gross}'
S21.G00.81.001,'059'
S21.G00.81.004,'{contribution}'
S21.G00.78.001,'31'
S21.G00.78.002,'01032024'
S21.G00.78.003,'31032024'
S21.G00.78.004,'0.00'
S21.G00.78.005,'2'
S21.G00.79.001,'18'
S21.G00.79.004,'3864.00'
S21.G00.81.001,'059'
S21.G00.81.004,'{contribution}'
S21.G00.78.001,'02'
S21.G00.78.002,'01032024'
S21.G00.78.003,'31032024'
S21.G00.78.004,'{gross}'
S21.G00.81.001,'076'
S21.G00.81.003,'{gross}'
S21.G00.81.004,'-{contribution}'
"""

STOPPAGE = """S21.G00.60.001,'01'
S21.G00.60.002,'14032024'
S21.G00.60.003,'29032024'
S21.G00.60.004,'02'
"""

CONTRACT_END = """S21.G00.62.001,'31032024'
S21.G00.62.002,'059'
S21.G00.62.016,'01'
"""

SUSPENSION = """S21.G00.65.001,'200'
S21.G00.65.002,'04032024'
S21.G00.65.003,'08032024'
"""

LOT_HEADER = """S05.G51.00.001,'V01R02'
S05.G51.00.002,'769608'
S05.G51.00.003,'01'
S05.G51.00.004,'19042024'
S06.G51.00.001,'DSNOK'
"""

LOT_TRAILER = """S96.G51.00.001,'DSNOK'
S96.G51.00.002,'{envois}'
S95.G51.00.001,'{envois}'
"""


def _luhn_completed(digits: str) -> str:
    """Append the Luhn check digit SIREN and SIRET use, so generated ids are well formed."""
    return digits + luhn.calc_check_digit(digits)


def _declaration_text(rng: random.Random, number: int) -> str:
    siren = _luhn_completed(f"{30000000 + number * 7:08d}")
    nic = _luhn_completed(siren + "0001")[9:]
    headcount = rng.randint(1, 60)
    employees = []
    for employee in range(headcount):
        sex = rng.choice("12")
        birth_year = rng.randint(1960, 2004)
        events = ""
        draw = rng.random()
        if draw < 0.1:
            events = STOPPAGE
        elif draw < 0.15:
            events = CONTRACT_END
        elif draw < 0.2:
            events = SUSPENSION
        gross = rng.randint(180000, 900000)
        employees.append(
            EMPLOYEE.format(
                nir=f"{sex}{birth_year % 100:02d}05{rng.choice(DEPARTMENTS):02d}"
                f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}",
                surname=rng.choice(SURNAMES),
                first_name=rng.choice(FIRST_NAMES),
                sex=sex,
                birth_year=birth_year,
                street=employee + 1,
                contract_no=f"{employee + 1:05d}",
                siren=siren,
                nic=nic,
                events=events,
                children=rng.randint(0, 4),
                net=f"{gross * 78 // 10000}.{gross * 78 // 100 % 100:02d}",
                gross=f"{gross // 100}.{gross % 100:02d}",
                contribution=f"{gross // 8000}.{gross // 80 % 100:02d}",
            )
        )
    payment_cents = headcount * 2 * 1234
    header = ENVOI_HEADER.format(
        siren=siren,
        nic=nic,
        order=number + 1,
        headcount=headcount,
        payment=f"{payment_cents // 100}.{payment_cents % 100:02d}",
        half=f"{payment_cents // 200}.{payment_cents // 2 % 100:02d}",
    )
    body = header + "".join(employees)
    line_count = body.count("\n") + 2
    return body + f"S90.G00.90.001,'{line_count}'\nS90.G00.90.002,'1'\n"


def write_large_dsn(path: Path, target_bytes: int, *, seed: int = 0) -> int:
    """Write a Latin-1 lot of complete envois until the file reaches `target_bytes`.

    Returns the number of envois written. Text is produced once per declaration and encoded in
    big pieces, so building 400 MB takes seconds, not minutes.
    """
    rng = random.Random(seed)
    written = 0
    envois = 0
    with path.open("wb") as out:
        written += out.write(LOT_HEADER.encode("iso-8859-1"))
        pieces: list[str] = []
        while written < target_bytes:
            pieces.append(_declaration_text(rng, envois))
            envois += 1
            if len(pieces) == 200:
                written += out.write("".join(pieces).encode("iso-8859-1"))
                pieces.clear()
        written += out.write("".join(pieces).encode("iso-8859-1"))
        out.write(LOT_TRAILER.format(envois=envois).encode("iso-8859-1"))
    return envois
