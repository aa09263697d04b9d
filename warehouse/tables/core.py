"""The core model's tables, declared once: the declarations in force and what they say, as
facts (one row per block instance of a declaration in force) and dimensions."""

from __future__ import annotations

from warehouse.schema import Column, Table
from warehouse.tables.columns import (
    AMOUNT,
    CONTRACT_NUMBER,
    CONTRACT_REFERENCE,
    CONTRACT_START,
    DECLARATION_ID,
    EMPLOYEE_KEY,
    FILE_ID,
    FIRST_MONTH,
    IBAN_COMMENT,
    INSTANCE_ID,
    LAST_MONTH,
    MONTH,
    OPTION_CODE,
    POPULATION_CODE,
    SIREN,
    SIRET,
)
from warehouse.tables.staging import STAGING_DECLARATIONS

_FACT_KEYS = (
    FILE_ID.but(nullable=False),
    DECLARATION_ID.but(nullable=False),
    SIRET,
    MONTH,
)


def _fact(name: str, comment: str, *columns: Column) -> Table:
    """A core fact: one row per block instance of a declaration in force, with (siret, month)
    so that a night recomputes only the groups its files touch."""
    return Table("core", name, comment, (*_FACT_KEYS, *columns))


def _instance(comment: str) -> Column:
    return INSTANCE_ID.but(nullable=False, comment=comment)


# core: the declarations in force and what they say, as facts and dimensions

PENDING_GROUPS = Table(
    "core",
    "pending_groups",
    "Groupes (établissement, mois) dont les déclarations ont changé et dont les faits sont à "
    "recalculer ; vidée après le recalcul.",
    (SIRET, MONTH),
)

DECLARATION_VERSIONS = Table(
    "core",
    "declaration_versions",
    "Toutes les versions de chaque déclaration : celle en vigueur et l'historique qu'elle a "
    "remplacé (annule et remplace, annulation).",
    (
        FILE_ID.but(nullable=False),
        DECLARATION_ID.but(nullable=False),
        SIREN,
        SIRET,
        MONTH,
        STAGING_DECLARATIONS.column("nature"),
        STAGING_DECLARATIONS.column("type"),
        STAGING_DECLARATIONS.column("fraction"),
        STAGING_DECLARATIONS.column("order_number"),
        STAGING_DECLARATIONS.column("built_on"),
        STAGING_DECLARATIONS.column("replaced_id"),
        STAGING_DECLARATIONS.column("norm"),
        STAGING_DECLARATIONS.column("status"),
        Column("version_rank", "INTEGER", "Rang de la version : 1 pour la plus ancienne.", False),
        Column("versions", "INTEGER", "Nombre de versions du groupe.", False),
        Column("in_force", "BOOLEAN", "Vrai pour la version en vigueur.", False),
        Column(
            "cancelled",
            "BOOLEAN",
            "Vrai si la dernière version du groupe est une annulation (type 04).",
            False,
        ),
        Column("superseded_by_file_id", "VARCHAR", "Fichier de la version suivante."),
        Column("superseded_by_declaration_id", "UINTEGER", "Déclaration de la version suivante."),
    ),
    key=("file_id", "declaration_id"),
)

DECLARATIONS_IN_FORCE = Table(
    "core",
    "declarations_in_force",
    "Les déclarations en vigueur : une version par groupe, les remplacements appliqués.",
    tuple(c.but(nullable=True) for c in DECLARATION_VERSIONS.columns),
    is_view=True,
)

EMPLOYEE_MONTHS = _fact(
    "employee_months",
    "Un salarié (bloc S21.G00.30) par déclaration en vigueur. Données personnelles.",
    _instance("Bloc S21.G00.30 du salarié."),
    EMPLOYEE_KEY.but(nullable=False),
    Column("nir", "VARCHAR", "NIR (S21.G00.30.001). Donnée personnelle."),
    Column("ntt", "VARCHAR", "Numéro technique temporaire (S21.G00.30.020)."),
    Column("last_name", "VARCHAR", "Nom de famille (S21.G00.30.002). Donnée personnelle."),
    Column("first_names", "VARCHAR", "Prénoms (S21.G00.30.004). Donnée personnelle."),
    Column(
        "birth_date", "VARCHAR", "Date de naissance JJMMAAAA telle que déclarée (S21.G00.30.006)."
    ),
)

IDENTITY_CHANGES = _fact(
    "identity_changes",
    "Changements d'identité d'un salarié (bloc S21.G00.31) : l'identité d'avant le changement.",
    _instance("Bloc S21.G00.31."),
    EMPLOYEE_KEY.but(nullable=False),
    Column("change_date", "DATE", "Date de la modification (S21.G00.31.001)."),
    Column("previous_nir", "VARCHAR", "Ancien NIR (S21.G00.31.008). Donnée personnelle."),
    Column("previous_last_name", "VARCHAR", "Ancien nom de famille (S21.G00.31.009)."),
    Column("previous_first_names", "VARCHAR", "Anciens prénoms (S21.G00.31.010)."),
)

CATEGORY = Column(
    "category",
    "VARCHAR",
    "Statut catégoriel retraite complémentaire (S21.G00.40.003) : 01 cadre, 02 extension "
    "cadre, 04 non cadre…",
)
CONTRACT_NATURE = Column("contract_nature", "VARCHAR", "Nature du contrat (S21.G00.40.007).")

CONTRACT_MONTHS = _fact(
    "contract_months",
    "Un contrat de travail (bloc S21.G00.40) par déclaration en vigueur.",
    _instance("Bloc S21.G00.40."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    CATEGORY,
    CONTRACT_NATURE,
)

ADHESION_KEY = Column(
    "adhesion_key",
    "VARCHAR",
    "Clé de l'adhésion : code organisme (S21.G00.15.002) | délégataire (.003) | référence du "
    "contrat (.001).",
)
OC_CODE = Column("oc_code", "VARCHAR", "Code de l'organisme (S21.G00.15.002).")
DELEGATE_CODE = Column(
    "delegate_code", "VARCHAR", "Code du délégataire de gestion (S21.G00.15.003)."
)

ADHESION_MONTHS = _fact(
    "adhesion_months",
    "Une adhésion prévoyance (bloc S21.G00.15) par déclaration en vigueur.",
    _instance("Bloc S21.G00.15."),
    ADHESION_KEY.but(nullable=False),
    OC_CODE,
    DELEGATE_CODE,
    CONTRACT_REFERENCE,
    Column("personnel_covered", "VARCHAR", "Personnel couvert (S21.G00.15.004)."),
    Column(
        "technical_id",
        "VARCHAR",
        "Identifiant technique de l'adhésion dans sa déclaration (S21.G00.15.005).",
    ),
)

AFFILIATIONS = _fact(
    "affiliations",
    "Une affiliation prévoyance (bloc S21.G00.70) d'un salarié par déclaration en vigueur.",
    _instance("Bloc S21.G00.70."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    ADHESION_KEY.but(
        comment=f"{ADHESION_KEY.comment} Vide quand S21.G00.70.013 ne désigne aucune adhésion "
        "de sa déclaration."
    ),
    OPTION_CODE,
    POPULATION_CODE,
    Column("children", "INTEGER", "Nombre d'enfants à charge (S21.G00.70.007)."),
    Column(
        "adult_dependants",
        "INTEGER",
        "Nombre d'ayants droit conjoint ou concubin (S21.G00.70.008).",
    ),
    Column("dependants", "INTEGER", "Nombre d'ayants droit attachés au salarié (S21.G00.70.009)."),
    Column("other_dependants", "INTEGER", "Nombre d'autres ayants droit (S21.G00.70.010)."),
    Column("child_dependants", "INTEGER", "Nombre d'enfants ayants droit (S21.G00.70.011)."),
    Column(
        "technical_id",
        "VARCHAR",
        "Identifiant technique de l'affiliation dans sa déclaration (S21.G00.70.012).",
    ),
    Column("start_date", "DATE", "Date de début de l'affiliation (S21.G00.70.014)."),
    Column("end_date", "DATE", "Date de fin de l'affiliation (S21.G00.70.015)."),
)

STOPPAGES = _fact(
    "stoppages",
    "Un arrêt de travail (bloc S21.G00.60) par déclaration en vigueur, mensuelle ou signalement.",
    _instance("Bloc S21.G00.60."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    Column("reason", "VARCHAR", "Motif de l'arrêt (S21.G00.60.001)."),
    Column("last_day_worked", "DATE", "Date du dernier jour travaillé (S21.G00.60.002)."),
    Column("planned_end", "DATE", "Date de fin prévisionnelle (S21.G00.60.003)."),
    Column("return_date", "DATE", "Date de reprise (S21.G00.60.010)."),
    Column("return_reason", "VARCHAR", "Motif de la reprise (S21.G00.60.011)."),
    Column(
        "accident_date",
        "DATE",
        "Date de l'accident ou de la première constatation (S21.G00.60.012).",
    ),
    Column("nature", "VARCHAR", "Nature de la déclaration porteuse (S20.G00.05.001)."),
    Column("built_on", "DATE", "Date de constitution du fichier (S20.G00.05.007)."),
    Column("subrogation", "VARCHAR", "Subrogation (S21.G00.60.004)."),
    Column("subrogation_start", "DATE", "Date de début de la subrogation (S21.G00.60.005)."),
    Column("subrogation_end", "DATE", "Date de fin de la subrogation (S21.G00.60.006)."),
)

CONTRACT_ENDS = _fact(
    "contract_ends",
    "Une fin de contrat de travail (bloc S21.G00.62) par déclaration en vigueur.",
    _instance("Bloc S21.G00.62."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    Column("end_date", "DATE", "Date de fin du contrat (S21.G00.62.001)."),
    Column("end_reason", "VARCHAR", "Motif de la rupture du contrat (S21.G00.62.002)."),
    Column(
        "keeps_cover",
        "BOOLEAN",
        "Vrai si l'affiliation au contrat collectif est maintenue (S21.G00.62.016 = 01).",
    ),
)

CONTRIBUTIONS = _fact(
    "contributions",
    "Les cotisations individuelles de prévoyance (S21.G00.81 code 059 sous une base "
    "S21.G00.78 code 31) par déclaration en vigueur.",
    _instance("Bloc S21.G00.81 de la cotisation."),
    EMPLOYEE_KEY.but(nullable=False),
    Column(
        "affiliation_instance_id",
        "UINTEGER",
        "Affiliation (bloc S21.G00.70) désignée par S21.G00.78.005 ; vide si aucune.",
    ),
    ADHESION_KEY,
    OPTION_CODE,
    POPULATION_CODE,
    Column("base_amount", AMOUNT, "Montant d'assiette (S21.G00.81.003)."),
    Column("amount", AMOUNT, "Montant de cotisation (S21.G00.81.004)."),
)

DECLARED_PAYMENTS = _fact(
    "declared_payments",
    "Les versements aux organismes de protection sociale (bloc S21.G00.20) par déclaration en "
    "vigueur.",
    _instance("Bloc S21.G00.20."),
    Column("oc_id", "VARCHAR", "Identifiant de l'organisme (S21.G00.20.001)."),
    Column("iban", "VARCHAR", f"IBAN du payeur (S21.G00.20.004). {IBAN_COMMENT}"),
    Column("amount", AMOUNT, "Montant du versement (S21.G00.20.005)."),
    Column("period_start", "DATE", "Début de la période de rattachement (S21.G00.20.006)."),
    Column("period_end", "DATE", "Fin de la période de rattachement (S21.G00.20.007)."),
    Column("payment_mode", "VARCHAR", "Mode de paiement (S21.G00.20.010)."),
    Column("payment_date", "DATE", "Date de paiement (S21.G00.20.011)."),
)

DECLARED_PAYMENT_COMPONENTS = _fact(
    "declared_payment_components",
    "Les composants de versement (bloc S21.G00.55) par déclaration en vigueur.",
    _instance("Bloc S21.G00.55."),
    Column("payment_instance_id", "UINTEGER", "Versement parent (bloc S21.G00.20).", False),
    Column("amount", AMOUNT, "Montant versé (S21.G00.55.001)."),
    Column("population_type", "VARCHAR", "Type de population (S21.G00.55.002)."),
    Column(
        "contract_reference",
        "VARCHAR",
        "Code d'affectation : référence du contrat (S21.G00.55.003).",
    ),
    Column("period", "VARCHAR", "Période de rattachement (S21.G00.55.004), ex. 2024M01."),
)

GROSS_PAY = _fact(
    "gross_pay",
    "Rémunération brute non plafonnée (S21.G00.51.011 = 001, montant .013) par salarié, "
    "numéro de contrat et déclaration en vigueur ; plusieurs blocs S21.G00.51 s'additionnent.",
    EMPLOYEE_KEY.but(nullable=False),
    Column("contract_number", "VARCHAR", "Numéro du contrat de travail (S21.G00.51.010)."),
    Column("gross", AMOUNT, "Somme des montants S21.G00.51.013."),
)

OTHER_SUSPENSIONS = _fact(
    "other_suspensions",
    "Autres suspensions du contrat de travail (bloc S21.G00.65) : invalidité, congés…",
    _instance("Bloc S21.G00.65."),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    Column("reason", "VARCHAR", "Motif de suspension (S21.G00.65.001)."),
    Column("start_date", "DATE", "Date de début de la suspension (S21.G00.65.002)."),
    Column("end_date", "DATE", "Date de fin de la suspension (S21.G00.65.003)."),
)

THERAPEUTIC_PART_TIMES = _fact(
    "therapeutic_part_times",
    "Temps partiels thérapeutiques (bloc S21.G00.66) sous un arrêt de travail.",
    _instance("Bloc S21.G00.66."),
    Column("stoppage_instance_id", "UINTEGER", "Arrêt parent (bloc S21.G00.60).", False),
    EMPLOYEE_KEY.but(nullable=False),
    CONTRACT_START,
    CONTRACT_NUMBER,
    Column("period_start", "DATE", "Date de début (S21.G00.66.001)."),
    Column("period_end", "DATE", "Date de fin (S21.G00.66.002)."),
    Column("pay", AMOUNT, "Montant de la rémunération de la période (S21.G00.66.003)."),
)

DEPENDANTS = _fact(
    "dependants",
    "Ayants droit (bloc S21.G00.73) comptés par type pour chaque affiliation.",
    Column("affiliation_instance_id", "UINTEGER", "Affiliation parente (bloc S21.G00.70).", False),
    EMPLOYEE_KEY.but(nullable=False),
    Column("dependant_type", "VARCHAR", "Type d'ayant droit (S21.G00.73.003)."),
    Column("dependants", "INTEGER", "Nombre d'ayants droit de ce type.", False),
)

CONTRIBUTION_COMPONENTS = _fact(
    "contribution_components",
    "Composants de base assujettie (bloc S21.G00.79) de chaque cotisation de "
    "core.contributions, sommés par type.",
    Column(
        "contribution_instance_id",
        "UINTEGER",
        "Cotisation (bloc S21.G00.81) de core.contributions.",
        False,
    ),
    EMPLOYEE_KEY.but(nullable=False),
    Column("component_type", "VARCHAR", "Type de composant de base assujettie (S21.G00.79.001)."),
    Column("amount", AMOUNT, "Somme des montants du type (S21.G00.79.004)."),
)

COMPANIES = Table(
    "core",
    "companies",
    "Les entreprises déclarantes, d'après les déclarations en vigueur.",
    (
        SIREN.but(nullable=False),
        Column("establishments", "INTEGER", "Nombre d'établissements déclarants."),
        FIRST_MONTH,
        LAST_MONTH,
    ),
    key=("siren",),
)

ESTABLISHMENTS = Table(
    "core",
    "establishments",
    "Les établissements déclarants.",
    (
        SIRET.but(nullable=False),
        SIREN,
        Column("nic", "VARCHAR", "NIC de l'établissement (S21.G00.11.001)."),
        Column("ape", "VARCHAR", "Code APET (S21.G00.11.002)."),
        Column("postal_code", "VARCHAR", "Code postal (S21.G00.11.004)."),
        Column("city", "VARCHAR", "Localité (S21.G00.11.005)."),
        FIRST_MONTH,
        LAST_MONTH,
    ),
    key=("siret",),
)

EMPLOYEES = Table(
    "core",
    "employees",
    "Les salariés tels que leur dernière déclaration les décrit. Données personnelles.",
    (
        EMPLOYEE_KEY.but(nullable=False),
        *(EMPLOYEE_MONTHS.column(name) for name in ("nir", "ntt", "last_name", "first_names")),
        EMPLOYEE_MONTHS.column("birth_date"),
        Column("last_siret", "VARCHAR", "Dernier établissement déclarant."),
        FIRST_MONTH,
        LAST_MONTH,
    ),
    key=("employee_key",),
)

EMPLOYEE_LINKS = Table(
    "core",
    "employee_links",
    "Les identités antérieures d'un salarié : ancien NIR (S21.G00.31) ou NTT remplacé par un NIR.",
    (
        Column("previous_key", "VARCHAR", "Identifiant antérieur. Donnée personnelle.", False),
        EMPLOYEE_KEY.but(nullable=False),
        Column("link_reason", "VARCHAR", "Pourquoi les deux identifiants sont liés.", False),
        FIRST_MONTH.but(comment="Premier mois où le lien est déclaré."),
    ),
    key=("previous_key", "employee_key"),
)

EMPLOYMENT_CONTRACTS = Table(
    "core",
    "employment_contracts",
    "Les contrats de travail : salarié, date de début (S21.G00.40.001) et numéro "
    "(S21.G00.40.009), décrits par leur dernière déclaration.",
    (
        EMPLOYEE_KEY.but(nullable=False),
        CONTRACT_START,
        CONTRACT_NUMBER,
        SIRET,
        CATEGORY,
        CONTRACT_NATURE,
        FIRST_MONTH,
        LAST_MONTH,
        CONTRACT_ENDS.column("end_date"),
        CONTRACT_ENDS.column("end_reason"),
    ),
)

ADHESIONS = Table(
    "core",
    "adhesions",
    "Les adhésions des établissements aux contrats de l'organisme (blocs S21.G00.15).",
    (
        ADHESION_KEY.but(nullable=False),
        SIRET.but(nullable=False),
        OC_CODE,
        DELEGATE_CODE,
        CONTRACT_REFERENCE,
        FIRST_MONTH,
        LAST_MONTH,
    ),
    key=("adhesion_key", "siret"),
)

# Which companies changed since each stage after the core model last ran (warehouse.changes).
COMPANY_CHANGES = Table(
    "core",
    "company_changes",
    "Entreprises dont les données ont changé (modèle central, référentiels) : les étapes "
    "suivantes ne recalculent qu'elles. SIREN vide : toutes les entreprises.",
    (
        Column("change_id", "BIGINT", "Numéro du marquage, croissant.", False),
        SIREN.but(comment="SIREN de l'entreprise ; vide : toutes les entreprises."),
    ),
)
EMPLOYEE_CHANGES = Table(
    "core",
    "employee_changes",
    "Salariés dont seules les lignes ont changé dans leur entreprise (un signalement) : les "
    "étapes qui travaillent par salarié ne recalculent que lui.",
    (
        Column("change_id", "BIGINT", "Numéro du marquage, commun avec company_changes.", False),
        SIREN.but(nullable=False),
        EMPLOYEE_KEY.but(nullable=False),
    ),
)
PENDING_CHANGES = Table(
    "core",
    "pending_changes",
    "Ce que le modèle central a trouvé changé dans ses groupes en attente, jusqu'au marquage "
    "de leurs entreprises ; vidée à ce marquage.",
    (
        SIREN.but(nullable=False),
        EMPLOYEE_KEY.but(
            comment="Salarié dont seules les lignes ont changé ; vide : toute "
            "l'entreprise. Donnée personnelle."
        ),
    ),
)
PENDING_DIMENSION_KEYS = Table(
    "core",
    "pending_dimension_keys",
    "Entreprises et salariés dont les groupes en attente avaient des lignes avant leur "
    "recalcul : les dimensions ne reconstruisent que leurs lignes ; vidée avec les groupes en "
    "attente.",
    (
        SIREN.but(comment="Entreprise dont les déclarations en vigueur peuvent changer."),
        EMPLOYEE_KEY.but(
            comment="Salarié dont les faits peuvent changer. Donnée personnelle.",
        ),
    ),
)
STAGE_PROGRESS = Table(
    "core",
    "stage_progress",
    "Pour chaque étape après le modèle central, le dernier changement pris en compte, la nuit "
    "et la version du code de son dernier passage.",
    (
        Column("stage", "VARCHAR", "Étape (affiliations, comptes, publication…).", False),
        Column("change_id", "BIGINT", "Dernier marquage pris en compte.", False),
        Column("night", "DATE", "Nuit du dernier passage.", False),
        Column("code_version", "VARCHAR", "Version du code de l'étape à ce passage.", False),
    ),
    key=("stage",),
)

CORE_TABLES: tuple[Table, ...] = (
    PENDING_GROUPS,
    COMPANY_CHANGES,
    EMPLOYEE_CHANGES,
    PENDING_CHANGES,
    PENDING_DIMENSION_KEYS,
    STAGE_PROGRESS,
    DECLARATION_VERSIONS,
    DECLARATIONS_IN_FORCE,
    EMPLOYEE_MONTHS,
    IDENTITY_CHANGES,
    CONTRACT_MONTHS,
    ADHESION_MONTHS,
    AFFILIATIONS,
    STOPPAGES,
    CONTRACT_ENDS,
    CONTRIBUTIONS,
    DECLARED_PAYMENTS,
    DECLARED_PAYMENT_COMPONENTS,
    GROSS_PAY,
    OTHER_SUSPENSIONS,
    THERAPEUTIC_PART_TIMES,
    DEPENDANTS,
    CONTRIBUTION_COMPONENTS,
    COMPANIES,
    ESTABLISHMENTS,
    EMPLOYEES,
    EMPLOYEE_LINKS,
    EMPLOYMENT_CONTRACTS,
    ADHESIONS,
)
