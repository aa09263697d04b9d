"""The contribution ledgers' tables, declared once (`warehouse.schema`), schema `ledger`
(migration 0020): calls, bank movements, allocations (lettrage), balances, dunning and account
statements, recomputed whole each night.

The Polars schemas the ledger functions build their frames with (`CALLS_SCHEMA`,
`ALLOCATIONS_SCHEMA`, …) are derived from these declarations.
"""

from __future__ import annotations

from warehouse.schema import Column, Table
from warehouse.tables.columns import AMOUNT, FILE_ID, SIREN, SIRET

_CALL_ID = Column(
    "call_id",
    "VARCHAR",
    "Identifiant de l'appel : entreprise, contrat, population et période.",
    False,
)
_CONTRACT = Column(
    "contract_reference",
    "VARCHAR",
    "Référence du contrat (S21.G00.15.001, S21.G00.55.003 pour un versement).",
)
_POPULATION = Column("population", "VARCHAR", "Population du contrat (S21.G00.55.002).")
_PERIOD_CODE = Column(
    "period_code", "VARCHAR", "Période au format DSN (S21.G00.55.004) : 2024M01, 2023T04…"
)
_PERIOD_START = Column("period_start", "DATE", "Premier jour de la période.")
_PERIOD_END = Column("period_end", "DATE", "Dernier jour de la période.")
_DECLARED = Column(
    "declared", AMOUNT, "Cotisations dues : somme des cotisations 059 déclarées (S21.G00.81.004)."
)
_EXPECTED = Column(
    "expected",
    AMOUNT,
    "Cotisations attendues : taux × base du paramétrage ; vide si une base ou un taux manque.",
)
_PAID = Column("paid", AMOUNT, "Paiements bancaires affectés, retours déduits.")
_BALANCE = Column("balance", AMOUNT, "Solde : dû − payé (positif : dû à l'organisme).")
_DUE_DATE = Column("due_date", "DATE", "Date d'exigibilité.")
_VISIBLE_FROM = Column("visible_from", "DATE", "Le portail montre la période à partir de ce jour.")
_MOVEMENT_ID = Column(
    "movement_id",
    "VARCHAR",
    "Identifiant du mouvement bancaire (staging.bank_transactions).",
    False,
)
_AMOUNT_SIGNED = Column("amount", AMOUNT, "Montant signé : un retour est négatif.")
_SIREN = SIREN.but(comment="SIREN de l'entreprise ; vide : payeur inconnu (compte d'attente).")

CALLS = Table(
    "ledger",
    "calls",
    "Les appels de cotisations : ce qui est dû par entreprise, contrat, population et période.",
    (
        _CALL_ID,
        Column(
            "call_reference",
            "VARCHAR",
            "Référence imprimée sur l'appel, recherchée dans le libellé des virements.",
        ),
        SIREN,
        Column("organisme_code", "VARCHAR", "Code de l'organisme (S21.G00.15.002)."),
        _CONTRACT,
        _POPULATION,
        _PERIOD_CODE,
        _PERIOD_START,
        _PERIOD_END,
        Column("months_declared", "UINTEGER", "Mois de la période déclarés par une DSN."),
        Column("months_in_period", "UINTEGER", "Mois que compte la période."),
        _DECLARED,
        _EXPECTED,
        Column("gap", AMOUNT, "Écart : déclaré − attendu."),
        _DUE_DATE,
        _VISIBLE_FROM,
        Column("contract_known", "BOOLEAN", "Vrai si le contrat a une fiche de paramétrage."),
        # What the portal details of each call (`serving.tables`: contribution_details), kept
        # here because the calls are built from these very contributions: summed again from
        # every contribution and component, they were most of the portal candidate's time.
        Column("employees", "UINTEGER", "Salariés dont une cotisation 059 est déclarée."),
        Column("base_tranche_a", AMOUNT, "Assiette tranche A déclarée (S21.G00.79 type 11)."),
        Column("base_tranche_b", AMOUNT, "Assiette tranche B déclarée (S21.G00.79 type 13)."),
        Column("base_pmss", AMOUNT, "Assiette forfaitaire PMSS déclarée (S21.G00.79 type 18)."),
    ),
    key=("call_id",),
)

MOVEMENTS = Table(
    "ledger",
    "movements",
    "Les mouvements bancaires pris en compte par le lettrage (crédits et prélèvements "
    "retournés), une fois chacun.",
    (
        _MOVEMENT_ID,
        FILE_ID.but(comment="Fichier bancaire d'origine."),
        Column("line", "UINTEGER", "Ligne du fichier bancaire."),
        Column(
            "account_iban",
            "VARCHAR",
            "IBAN du compte de l'organisme crédité. Jamais dans les journaux.",
        ),
        _AMOUNT_SIGNED,
        Column("value_date", "DATE", "Date de valeur."),
        Column("booking_date", "DATE", "Date de comptabilisation."),
        Column("end_to_end_id", "VARCHAR", "Référence de bout en bout du paiement."),
        Column("is_return", "BOOLEAN", "Vrai pour un prélèvement retourné."),
    ),
    key=("movement_id",),
)

IGNORED_MOVEMENTS = Table(
    "ledger",
    "ignored_movements",
    "Les écritures bancaires écartées du lettrage (frais, écritures en attente…) et pourquoi.",
    (
        _MOVEMENT_ID,
        Column("amount", AMOUNT, "Montant signé de l'écriture."),
        Column("reason", "VARCHAR", "Pourquoi l'écriture est écartée, en français."),
    ),
    key=("movement_id",),
)

DUPLICATE_MOVEMENTS = Table(
    "ledger",
    "duplicate_movements",
    "Les mouvements livrés plusieurs fois (relevés qui se chevauchent), comptés une fois.",
    (_MOVEMENT_ID, Column("copies", "UINTEGER", "Nombre d'exemplaires reçus.")),
    key=("movement_id",),
)

MOVEMENT_PAYERS = Table(
    "ledger",
    "movement_payers",
    "Pour chaque mouvement pris en compte, les entreprises que les règles de reconnaissance du "
    "payeur y trouvent et ce qu'elles y cherchent : une nuit ne reconnaît à nouveau que les "
    "mouvements nouveaux et ceux qu'une entreprise changée peut concerner.",
    (
        _MOVEMENT_ID,
        Column(
            "sirens",
            "VARCHAR[]",
            "Toutes les entreprises reconnues, par n'importe quelle règle, retenue ou non.",
        ),
        Column(
            "match_keys",
            "VARCHAR[]",
            "Ce que les règles cherchent : mots de référence, IBAN du payeur, SIREN écrits, "
            "mandat, nom du payeur, compte crédité.",
        ),
    ),
    key=("movement_id",),
)

COMPANY_INPUTS = Table(
    "ledger",
    "company_inputs",
    "Pour chaque entreprise, une empreinte de ce que ses comptes lisent du modèle central "
    "(cotisations et versements déclarés en vigueur) lors de leur dernier calcul : une "
    "entreprise dont la nuit n'a pas changé ces données garde ses comptes.",
    (
        SIREN.but(nullable=False),
        Column(
            "input_rows",
            "BIGINT",
            "Lignes lues : cotisations et composants de versement déclarés.",
            False,
        ),
        Column("fingerprint", "HUGEINT", "Somme des empreintes de ces lignes.", False),
    ),
    key=("siren",),
)

CONTRACT_KEYS = Table(
    "ledger",
    "contract_keys",
    "Ce que les comptes lisaient des contrats lors de leur dernier calcul : les clés du lettrage "
    "(mandats, SIREN et raisons sociales des entreprises, comptes d'encaissement) avec ce que "
    "chacune désigne, et une empreinte des conditions de chaque contrat ; une nuit ne reprend "
    "que les mouvements qui écrivent une clé changée et les entreprises qui nomment un contrat "
    "changé.",
    (
        Column(
            "key",
            "VARCHAR",
            "Clé : mandate:…, siren:…, name:…, account:… (ce qu'un mouvement écrit) ou terms:… "
            "(un contrat).",
            False,
        ),
        Column(
            "value",
            "VARCHAR",
            "Ce que la clé désigne : entreprise et contrat d'un mandat, entreprise d'une raison "
            "sociale, organisme d'un compte ; l'empreinte des fiches d'un contrat.",
            False,
        ),
    ),
    key=("key", "value"),
)

ALLOCATIONS = Table(
    "ledger",
    "allocations",
    "Chaque ligne d'affectation des paiements, avec les règles et le score qui l'ont choisie ; "
    "un prélèvement retourné ajoute des lignes négatives qui annulent les précédentes.",
    (
        Column("allocation_id", "VARCHAR", "Identifiant : <movement_id>#<rang>.", False),
        _MOVEMENT_ID,
        Column(
            "entry",
            "VARCHAR",
            "Nature : affectation (sur un appel), credit_non_affecte (crédit de l'entreprise), "
            "attente (payeur inconnu) ou annulation (retour).",
            False,
        ),
        _SIREN,
        Column("call_id", "VARCHAR", "Appel payé ; vide : crédit non affecté."),
        _CONTRACT,
        _POPULATION,
        _PERIOD_CODE,
        _AMOUNT_SIGNED.but(comment="Montant affecté, signé : une annulation est négative."),
        Column("date", "DATE", "Date de valeur, sinon de comptabilisation."),
        Column("payer_rule", "VARCHAR", "Règle qui a reconnu le payeur."),
        Column("amount_rule", "VARCHAR", "Règle qui a réparti le montant."),
        Column("score", "UTINYINT", "Confiance de l'affectation, de 0 à 100."),
        Column(
            "declared_payment_id",
            "VARCHAR",
            "Versement déclaré en DSN rapproché (ledger.declared_payments).",
        ),
        Column("reverses_allocation_id", "VARCHAR", "Ligne annulée par cette ligne."),
    ),
    key=("allocation_id",),
)

UNALLOCATED_CREDIT = Table(
    "ledger",
    "unallocated_credit",
    "L'argent reçu et affecté à aucun appel : crédit visible de l'entreprise, ou compte "
    "d'attente (siren vide).",
    tuple(
        ALLOCATIONS.column(name).but(nullable=True)
        for name in (
            "allocation_id",
            "movement_id",
            "entry",
            "siren",
            "amount",
            "date",
            "payer_rule",
            "score",
        )
    ),
    is_view=True,
)

DECLARED_PAYMENTS = Table(
    "ledger",
    "declared_payments",
    "Ce que les DSN en vigueur déclarent payé : une ligne par composant S21.G00.55 d'un "
    "versement S21.G00.20.",
    (
        Column(
            "declared_payment_id",
            "VARCHAR",
            "Identifiant : <file_id>:<bloc S21.G00.20>.",
            False,
        ),
        SIREN,
        SIRET,
        Column("month", "DATE", "Mois de la déclaration (S20.G00.05.005)."),
        Column("organisme_code", "VARCHAR", "Identifiant de l'organisme (S21.G00.20.001)."),
        Column("iban", "VARCHAR", "IBAN du payeur (S21.G00.20.004). Jamais dans les journaux."),
        Column("payment_total", AMOUNT, "Montant du versement (S21.G00.20.005)."),
        Column("payment_mode", "VARCHAR", "Mode de paiement (S21.G00.20.010)."),
        Column("payment_date", "DATE", "Date de paiement (S21.G00.20.011)."),
        Column("contract_reference", "VARCHAR", "Code d'affectation (S21.G00.55.003)."),
        _POPULATION,
        _PERIOD_CODE,
        Column("amount", AMOUNT, "Montant du composant (S21.G00.55.001), négatif possible."),
    ),
)

_PROVISIONAL = Column(
    "provisional",
    "BOOLEAN",
    "Vrai quand le contrat n'a pas de fiche de paramétrage : périodicité prise des versements "
    "déclarés (S21.G00.55.004), échéances et attendus provisoires, pas de relance au-delà de "
    "l'information (en retard).",
)

CALL_BALANCES = Table(
    "ledger",
    "call_balances",
    "Par appel : le payé (retours déduits) et le solde = déclaré − payé.",
    (
        _CALL_ID,
        SIREN,
        _CONTRACT,
        _POPULATION,
        _PERIOD_CODE,
        _DUE_DATE,
        _DECLARED,
        _PAID,
        _BALANCE,
    ),
    key=("call_id",),
)

BALANCES = Table(
    "ledger",
    "balances",
    "La vue du portail : par entreprise, contrat et période, populations additionnées ; une "
    "période où la DSN déclare un paiement sans cotisation a aussi sa ligne.",
    (
        SIREN.but(nullable=False),
        _CONTRACT.but(nullable=False),
        _PERIOD_CODE.but(nullable=False),
        _PERIOD_START,
        _PERIOD_END,
        _DUE_DATE,
        _VISIBLE_FROM,
        _DECLARED,
        _EXPECTED,
        _PAID,
        _BALANCE,
        Column(
            "declared_paid",
            AMOUNT,
            "Ce que la DSN dit avoir payé : somme des S21.G00.55.001.",
        ),
        _PROVISIONAL,
    ),
    key=("siren", "contract_reference", "period_code"),
)

COMPANY_BALANCES = Table(
    "ledger",
    "company_balances",
    "Les soldes par entreprise (siren vide : le compte d'attente).",
    (
        _SIREN,
        Column("due", AMOUNT, "Total des appels."),
        _PAID,
        _BALANCE,
        Column("unallocated_credit", AMOUNT, "Crédit reçu et affecté à aucun appel."),
        Column("net_position", AMOUNT, "Position nette : solde − crédit non affecté."),
    ),
)

DUNNING = Table(
    "ledger",
    "dunning",
    "Où en est chaque appel sur le chemin du recouvrement à la date de calcul.",
    (
        _CALL_ID,
        SIREN,
        _CONTRACT,
        _POPULATION,
        _PERIOD_CODE,
        Column("legal_regime", "VARCHAR", "Régime juridique du contrat, qui fixe les délais."),
        _DUE_DATE,
        _DECLARED,
        _PAID.but(comment="Payé à la date de calcul."),
        Column("outstanding", AMOUNT, "Reste dû."),
        Column("days_overdue", "INTEGER", "Jours de retard depuis l'exigibilité."),
        Column(
            "stage",
            "VARCHAR",
            "Étape : a_jour, non_echu, en_retard, relance, mise_en_demeure, suspension ou "
            "resiliation.",
        ),
        Column("stage_label", "VARCHAR", "Libellé français de l'étape."),
        Column("reminder_date", "DATE", "Date de la relance."),
        Column("notice_date", "DATE", "Date de la mise en demeure."),
        Column("suspension_date", "DATE", "Date de suspension des garanties."),
        Column(
            "termination_date", "DATE", "Date à partir de laquelle la résiliation est possible."
        ),
        Column("late_fee", AMOUNT, "Majoration de retard."),
        Column("as_of", "DATE", "Date de calcul.", False),
        _PROVISIONAL,
    ),
    key=("call_id",),
)

STATEMENT_LINES = Table(
    "ledger",
    "statement_lines",
    "Le relevé de compte de chaque entreprise sur tout son historique : une ligne d'ouverture, "
    "les appels au débit à leur échéance, les paiements au crédit à leur date.",
    (
        SIREN.but(nullable=False),
        Column("line_number", "UINTEGER", "Rang de la ligne dans le relevé.", False),
        Column("date", "DATE", "Date de la ligne."),
        Column("label", "VARCHAR", "Libellé de la ligne."),
        _CONTRACT,
        _PERIOD_CODE,
        Column("period", "VARCHAR", "Période en clair : du 01/10/2023 au 31/12/2023."),
        Column("debit", AMOUNT, "Débit : cotisations appelées."),
        Column("credit", AMOUNT, "Crédit : paiements."),
        Column("balance", AMOUNT, "Solde courant après la ligne."),
    ),
    key=("siren", "line_number"),
)

LEDGER_TABLES: tuple[Table, ...] = (
    CALLS,
    MOVEMENTS,
    IGNORED_MOVEMENTS,
    DUPLICATE_MOVEMENTS,
    MOVEMENT_PAYERS,
    COMPANY_INPUTS,
    CONTRACT_KEYS,
    ALLOCATIONS,
    UNALLOCATED_CREDIT,
    DECLARED_PAYMENTS,
    CALL_BALANCES,
    BALANCES,
    COMPANY_BALANCES,
    DUNNING,
    STATEMENT_LINES,
)
