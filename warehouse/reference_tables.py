"""The tables `warehouse.reference` fills once a night from the insurer's own files, declared once
(`warehouse.schema`): the contract parameters in `reference.*`, the portal's exports in
`from_portal.*`. A load replaces the rows of the files that changed (`warehouse.reference`)."""

from __future__ import annotations

from warehouse.schema import Column, Table
from warehouse.tables.columns import AMOUNT, CONTRACT_REFERENCE, SIREN, SIRET

_CONTRACT = CONTRACT_REFERENCE.but(
    nullable=False, comment="Référence du contrat, telle que la DSN la porte (S21.G00.15.001)."
)
_SOURCE_FILE = Column(
    "source_file",
    "VARCHAR",
    "Fichier de paramétrage d'origine, relatif au répertoire de dépôt.",
    False,
)
_PERSONAL = "Donnée personnelle."

CONTRACT_PARAMETERS = Table(
    "reference",
    "contract_parameters",
    "Les fiches de paramétrage des contrats (reference/*.json), entières et validées : une "
    "ligne par contrat.",
    (
        _CONTRACT,
        _SOURCE_FILE,
        Column(
            "document",
            "VARCHAR",
            "La fiche validée, en JSON (contracts.parameters.ContractParameters).",
            False,
        ),
    ),
    key=("contract_reference",),
)

OC_CONTRACTS = Table(
    "reference",
    "oc_contracts",
    "Les contrats de l'organisme d'après les fiches de paramétrage : entreprise, garantie et "
    "période d'effet.",
    (
        _CONTRACT,
        Column("organisme_code", "VARCHAR", "Code de l'organisme (S21.G00.15.002).", False),
        Column("delegate_code", "VARCHAR", "Code du délégataire de gestion (S21.G00.15.003)."),
        SIREN.but(nullable=False, comment="SIREN de l'entreprise adhérente."),
        Column("cover", "VARCHAR", "Garantie : sante (frais de santé) ou prevoyance.", False),
        Column("effective_from", "DATE", "Date d'effet du contrat.", False),
        Column("effective_to", "DATE", "Date de fin du contrat, incluse ; vide : en cours."),
        _SOURCE_FILE,
    ),
    key=("contract_reference",),
)

OC_CONTRACT_OPTIONS = Table(
    "reference",
    "oc_contract_options",
    "Les options ouvertes par chaque contrat (codes attendus en S21.G00.70.004).",
    (_CONTRACT, Column("option_code", "VARCHAR", "Code option.", False)),
)

OC_CONTRACT_POPULATIONS = Table(
    "reference",
    "oc_contract_populations",
    "Les populations de chaque contrat et les catégories de salariés qu'elles couvrent : une "
    "ligne par catégorie.",
    (
        _CONTRACT,
        Column("population_code", "VARCHAR", "Code population (S21.G00.70.005).", False),
        Column(
            "category",
            "VARCHAR",
            "Statut catégoriel couvert (S21.G00.40.003).",
            False,
        ),
    ),
)

OC_CONTRACT_RATES = Table(
    "reference",
    "oc_contract_rates",
    "Les taux de cotisation de chaque contrat par option, population et base, avec leur "
    "période d'effet.",
    (
        _CONTRACT,
        Column("option_code", "VARCHAR", "Code option ; vide : toutes les options."),
        Column("population_code", "VARCHAR", "Code population.", False),
        Column("base", "VARCHAR", "Base de calcul : tranche_a, tranche_b ou pmss.", False),
        Column("rate_percent", "DECIMAL(9,4)", "Taux en pourcentage de la base.", False),
        Column("effective_from", "DATE", "Début d'effet du taux.", False),
        Column("effective_to", "DATE", "Fin d'effet du taux, incluse ; vide : en cours."),
    ),
)

PMSS = Table(
    "reference",
    "pmss",
    "Le plafond mensuel de la sécurité sociale (PMSS) de chaque année.",
    (
        Column("year", "INTEGER", "Année.", False),
        Column("amount", AMOUNT, "Montant mensuel du plafond, en euros."),
    ),
    key=("year",),
)

_REQUEST_ID = Column("request_id", "VARCHAR", "Identifiant de la demande sur le portail.", False)
_PORTAL_SIRET = SIRET.but(nullable=False, comment="SIRET de l'établissement employeur.")
_PORTAL_SIREN = SIREN.but(comment="SIREN de l'entreprise.")
_PORTAL_CONTRACT = _CONTRACT.but(comment="Référence du contrat de l'organisme.")
_LAST_NAME = Column("last_name", "VARCHAR", f"Nom de famille du salarié. {_PERSONAL}")
_FIRST_NAMES = Column("first_names", "VARCHAR", f"Prénoms du salarié. {_PERSONAL}")
_NIR = Column("nir", "VARCHAR", f"NIR du salarié. {_PERSONAL}", False)
_ENTERED_ON = Column("entered_on", "DATE", "Date de saisie sur le portail.")

AFFILIATION_REQUESTS = Table(
    "from_portal",
    "affiliation_requests",
    "Les demandes d'affiliation saisies par les employeurs sur le portail (export portal/*.csv).",
    (
        _REQUEST_ID,
        Column("requested_on", "DATE", "Date de la demande.", False),
        _PORTAL_SIREN,
        _PORTAL_SIRET,
        _PORTAL_CONTRACT,
        _LAST_NAME,
        _FIRST_NAMES,
        Column("birth_date", "DATE", f"Date de naissance du salarié. {_PERSONAL}"),
        _NIR.but(nullable=True, comment=f"{_NIR.comment} Vide si l'employeur ne le connaît pas."),
        Column("hired_on", "DATE", "Date d'embauche."),
        Column("professional_status", "VARCHAR", "Statut professionnel (cadre, non cadre…)."),
    ),
    key=("request_id",),
)

AFFILIATION_COMPLETIONS = Table(
    "from_portal",
    "affiliation_completions",
    "Les demandes d'affiliation complétées par le salarié sur le portail.",
    (
        _REQUEST_ID,
        Column("completed_on", "DATE", "Date à laquelle le salarié a complété la demande.", False),
        Column("option_code", "VARCHAR", "Option choisie."),
        Column("dependants", "INTEGER", "Nombre d'ayants droit déclarés."),
        Column("sepa_mandate", "BOOLEAN", "Vrai si un mandat de prélèvement SEPA est signé."),
    ),
)

EXEMPTIONS = Table(
    "from_portal",
    "exemptions",
    "Les dispenses d'affiliation saisies sur le portail.",
    (
        Column("exemption_id", "VARCHAR", "Identifiant de la dispense sur le portail.", False),
        _ENTERED_ON,
        _PORTAL_SIREN,
        _PORTAL_SIRET,
        _PORTAL_CONTRACT,
        _LAST_NAME,
        _FIRST_NAMES,
        _NIR,
        Column("reason_code", "VARCHAR", "Code du motif de dispense."),
        Column("reason_label", "VARCHAR", "Libellé du motif de dispense."),
        Column("start_date", "DATE", "Début de la dispense.", False),
        Column("end_date", "DATE", "Fin de la dispense ; vide : sans fin connue."),
        Column("proof_received", "BOOLEAN", "Vrai si le justificatif est reçu."),
    ),
    key=("exemption_id",),
)

RADIATIONS = Table(
    "from_portal",
    "radiations",
    "Les radiations saisies par les employeurs sur le portail.",
    (
        Column("radiation_id", "VARCHAR", "Identifiant de la radiation sur le portail.", False),
        _ENTERED_ON,
        _PORTAL_SIREN,
        _PORTAL_SIRET,
        _PORTAL_CONTRACT,
        _LAST_NAME,
        _FIRST_NAMES,
        _NIR,
        Column("radiation_date", "DATE", "Date d'effet de la radiation.", False),
        Column("reason", "VARCHAR", "Motif de la radiation."),
    ),
    key=("radiation_id",),
)

REFERENCE_TABLES: tuple[Table, ...] = (
    CONTRACT_PARAMETERS,
    OC_CONTRACTS,
    OC_CONTRACT_OPTIONS,
    OC_CONTRACT_POPULATIONS,
    OC_CONTRACT_RATES,
    PMSS,
    AFFILIATION_REQUESTS,
    AFFILIATION_COMPLETIONS,
    EXEMPTIONS,
    RADIATIONS,
)
