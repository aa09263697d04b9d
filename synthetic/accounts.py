"""The insurer's collection accounts and the direct-debit mandates companies sign.

Each organisme collects on two accounts: one for SEPA direct debits, one for transfers. The
contract parameter files list them (and the payer's mandate); the bank files are written on them.
"""

from __future__ import annotations

from synthetic.bank_files import BankAccount
from synthetic.contracts import SANTE_ORGANISME
from synthetic.identifiers import french_iban

# Each organisme's collection accounts: (direct debits, transfers).
ACCOUNTS = {
    SANTE_ORGANISME: (
        BankAccount(
            french_iban("30004", "00003", "12345678901"), "BNPAFRPPXXX", "MUTUELLE DU GROUPE"
        ),
        BankAccount(
            french_iban("10107", "00101", "12345678902"), "BREDFRPPXXX", "MUTUELLE DU GROUPE"
        ),
    ),
}
PREVOYANCE_ACCOUNTS = (
    BankAccount(
        french_iban("30003", "00070", "12345678903"), "SOGEFRPPXXX", "INSTITUTION DE PREVOYANCE"
    ),
    BankAccount(
        french_iban("18206", "00060", "12345678904"), "AGRIFRPPXXX", "INSTITUTION DE PREVOYANCE"
    ),
)


def accounts(organisme: str) -> tuple[BankAccount, BankAccount]:
    """(direct-debit account, transfer account) of an organisme."""
    return ACCOUNTS.get(organisme, PREVOYANCE_ACCOUNTS)


def mandate_id(siren: str, organisme: str) -> str:
    """The RUM of a company's direct-debit mandate with an organisme (one for its contracts)."""
    return f"RUM{siren}{organisme[-4:]}"
