"""The tables of the portal's snapshot `portal_v1`: one `TableSpec` each.

A table whose `requires` are missing from the warehouse (a domain not deployed yet) is
published empty with its final columns; `sql=None` declares a table before its domain exists.
Adding a table: one entry here (`_straight_from` when it publishes one warehouse relation's
columns unchanged), then regenerate the contract (`python -m serving.contract --write`).
Every table also carries `night_id` (added by the build), so a reader can tell one night from
the next and never mixes two.
"""

from __future__ import annotations

from ledgers.allocation import Entry
from ledgers.dunning import Stage
from quality.affiliation.states import ALL_STATUSES
from quality.anomalies.catalogue import RULES
from quality.anomalies.model import AnomalySeverity, AnomalyStatus
from quality.stoppages.catalogue import EpisodeStatus
from serving.comptes_rendus import STATUS_LABELS as DECLARATION_STATUS_LABELS
from serving.labels import label_of
from serving.spec import NIGHT_ID_VARIABLE, Column, Expectation, TableSpec, in_set, ordered, zero

# The codes each domain writes: the gates refuse any other, the comments list them.
AFFILIATION_STATUSES = list(ALL_STATUSES)
ANOMALY_STATUSES = [s.value for s in AnomalyStatus]
SEVERITIES = [s.value for s in AnomalySeverity]
EPISODE_STATUSES = [s.value for s in EpisodeStatus]
AMOUNT = "DECIMAL(18,2)"


def _c(name: str, type_: str, comment: str) -> Column:
    return Column(name, type_, comment)


def _one_of(label: str, codes: list[str]) -> str:
    return f"{label} : {', '.join(codes)}."


def _straight_from(
    source: str,
    *,
    name: str,
    comment: str,
    columns: tuple[Column, ...],
    key: tuple[str, ...],
    where: str | None = None,
    expectations: tuple[Expectation, ...] = (),
    check_columns: dict[str, str] | None = None,
    month_column: str | None = None,
) -> TableSpec:
    """A table whose columns are those of the warehouse relation `source`, by the same names and
    unchanged (its rows filtered by `where`)."""
    sql = f"SELECT {', '.join(c.name for c in columns)} FROM {source}"
    return TableSpec(
        name=name,
        comment=comment,
        columns=columns,
        key=key,
        sql=sql if where is None else f"{sql} WHERE {where}",
        requires=(source,),
        expectations=expectations,
        check_columns=check_columns or {},
        month_column=month_column,
    )


SIREN = _c("siren", "VARCHAR", "SIREN de l'entreprise (contrôle d'accès par entreprise).")
SIRET = _c("siret", "VARCHAR", "SIRET de l'établissement.")
EMPLOYEE_KEY = _c("employee_key", "VARCHAR", "Identifiant du salarié : NIR, sinon « NTT: » + NTT.")
CONTRACT_REFERENCE = _c("contract_reference", "VARCHAR", "Référence du contrat de l'organisme.")
PERIOD_CODE = _c("period_code", "VARCHAR", "Période au format DSN (2024M01, 2023T04).")
PROVISIONAL = _c(
    "provisional",
    "BOOLEAN",
    "Provisoire : l'organisme n'a pas la fiche de paramétrage du contrat ; périodicité lue dans "
    "les versements déclarés (S21.G00.55.004), échéance et montant attendu estimés, pas de "
    "recouvrement au-delà de « En retard ».",
)
FIRST_MONTH = _c("first_month", "DATE", "Premier mois déclaré.")
LAST_MONTH = _c("last_month", "DATE", "Dernier mois déclaré.")
COVERING_CONTRACT = _c(
    "contract_reference", "VARCHAR", "Contrat de prévoyance qui couvre le salarié."
)
FIRST_DAY_OFF = _c("first_day_off", "DATE", "Premier jour d'arrêt.")

_RULE_LABELS = ", ".join(
    "('{}', '{}', '{}')".format(
        rule.code, rule.label.replace("'", "''"), rule.explanation.replace("'", "''")
    )
    for rule in RULES
)

COMPANIES = TableSpec(
    name="companies",
    comment="Entreprises clientes ayant au moins une déclaration en vigueur.",
    columns=(
        SIREN,
        _c("establishments", "INTEGER", "Nombre d'établissements déclarants."),
        FIRST_MONTH,
        LAST_MONTH,
        _c(
            "name",
            "VARCHAR",
            "Raison sociale, telle que les fiches de paramétrage de ses contrats la donnent "
            "(vide sans fiche : la DSN filtrée de l'organisme ne la porte pas).",
        ),
    ),
    key=("siren",),
    sql="""
        SELECT c.siren, c.establishments, c.first_month, c.last_month, n.name
        FROM core.companies AS c
        LEFT JOIN (
            SELECT json_extract_string(document, '$.siren') AS siren,
                min(json_extract_string(document, '$.company_name')) AS name
            FROM reference.contract_parameters GROUP BY 1
        ) AS n USING (siren)
    """,
    requires=("core.companies", "reference.contract_parameters"),
    expectations=(ordered("first_month", "last_month"),),
)

ESTABLISHMENTS = _straight_from(
    "core.establishments",
    name="establishments",
    comment="Établissements des entreprises, tels que leur dernière déclaration les décrit.",
    columns=(
        SIRET,
        SIREN,
        _c("nic", "VARCHAR", "NIC de l'établissement (S21.G00.11.001)."),
        _c("ape", "VARCHAR", "Code APE (S21.G00.11.002)."),
        _c("postal_code", "VARCHAR", "Code postal (S21.G00.11.004)."),
        _c("city", "VARCHAR", "Localité (S21.G00.11.005)."),
        FIRST_MONTH,
        LAST_MONTH,
    ),
    key=("siret",),
    expectations=(
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "siren"}),
        ordered("first_month", "last_month"),
    ),
)

EMPLOYEES = TableSpec(
    name="employees",
    comment="Salariés par contrat de travail, avec leur identité déclarée (données personnelles : "
    "réservé à l'entreprise du salarié).",
    columns=(
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        _c("nir", "VARCHAR", "NIR déclaré (S21.G00.30.001), sans clé."),
        _c("ntt", "VARCHAR", "Numéro technique temporaire (S21.G00.30.020)."),
        _c("last_name", "VARCHAR", "Nom de famille."),
        _c("first_names", "VARCHAR", "Prénoms."),
        _c("birth_date", "VARCHAR", "Date de naissance telle que déclarée (JJMMAAAA)."),
        _c("contract_start", "DATE", "Début du contrat de travail (S21.G00.40.001)."),
        _c("contract_number", "VARCHAR", "Numéro du contrat de travail (S21.G00.40.009)."),
        _c("category", "VARCHAR", "Statut catégoriel (S21.G00.40.003 : 01 cadre, 04 non-cadre…)."),
        _c("contract_nature", "VARCHAR", "Nature du contrat (S21.G00.40.007 : 01 CDI, 02 CDD…)."),
        _c("first_month", "DATE", "Premier mois où le contrat est déclaré."),
        _c("last_month", "DATE", "Dernier mois où le contrat est déclaré."),
        _c("end_date", "DATE", "Date de fin du contrat (S21.G00.62.001), si déclarée."),
        _c("end_reason", "VARCHAR", "Motif de fin (S21.G00.62.002)."),
        _c("category_label", "VARCHAR", "Libellé du statut catégoriel (liste de la norme DSN)."),
        _c("contract_nature_label", "VARCHAR", "Libellé de la nature du contrat."),
        _c("end_reason_label", "VARCHAR", "Libellé du motif de fin."),
    ),
    key=("siren", "employee_key", "contract_start", "contract_number"),
    sql=f"""
        SELECT coalesce(s.siren, left(c.siret, 9)) AS siren, c.siret, c.employee_key, e.nir,
            e.ntt, e.last_name, e.first_names, e.birth_date, c.contract_start,
            c.contract_number, c.category, c.contract_nature, c.first_month, c.last_month,
            c.end_date, c.end_reason,
            {label_of("S21.G00.40.003", "c.category")} AS category_label,
            {label_of("S21.G00.40.007", "c.contract_nature")} AS contract_nature_label,
            {label_of("S21.G00.62.002", "c.end_reason")} AS end_reason_label
        FROM core.employment_contracts AS c
        JOIN core.employees AS e USING (employee_key)
        LEFT JOIN core.establishments AS s USING (siret)
    """,
    requires=("core.employment_contracts", "core.employees", "core.establishments"),
    expectations=(ordered("first_month", "last_month"), ordered("contract_start", "end_date")),
    month_column="first_month",
)

AFFILIATION_STATES = _straight_from(
    "core.affiliation_states",
    name="affiliation_states",
    comment="État d'affiliation de chaque salarié sur chaque contrat de l'organisme.",
    columns=(
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        _c("employee_name", "VARCHAR", "Nom et prénoms du salarié."),
        CONTRACT_REFERENCE,
        _c("status", "VARCHAR", _one_of("État", AFFILIATION_STATUSES)),
        _c("status_since", "DATE", "Date depuis laquelle l'état s'applique."),
        _c("portability_end", "DATE", "Fin de la portabilité, pour un salarié en portabilité."),
        _c("end_reason", "VARCHAR", "Motif de fin (S21.G00.62.002 ou motif de radiation)."),
        _c("option_code", "VARCHAR", "Code option (S21.G00.70.004)."),
        _c("population_code", "VARCHAR", "Code population (S21.G00.70.005)."),
        _c("dependants", "INTEGER", "Nombre d'ayants droit."),
        _c("source", "VARCHAR", "Origine de l'état : dsn, portail ou gestionnaire."),
    ),
    key=("siren", "employee_key", "contract_reference"),
    expectations=(in_set("status", AFFILIATION_STATUSES),),
)

AFFILIATION_FOLLOW_UP = _straight_from(
    "core.affiliation_history",
    name="affiliation_follow_up",
    comment="Suivi des affiliations : chaque changement d'état, nuit par nuit.",
    columns=(
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        CONTRACT_REFERENCE,
        _c("status", "VARCHAR", "État à partir de cette nuit."),
        _c("status_since", "DATE", "Date d'effet de l'état."),
        _c("portability_end", "DATE", "Fin de la portabilité."),
        _c("end_reason", "VARCHAR", "Motif de fin."),
        _c("option_code", "VARCHAR", "Code option."),
        _c("population_code", "VARCHAR", "Code population."),
        _c("source", "VARCHAR", "Origine : dsn, portail ou gestionnaire."),
        _c("night", "DATE", "Nuit où ce changement a été constaté."),
    ),
    key=("siren", "employee_key", "contract_reference", "night"),
    # The history keeps what each night said; the portal follows the affiliations the register
    # still holds (one whose contract lost its parameter file is no longer the insurer's).
    where="""EXISTS (
        SELECT 1 FROM core.affiliation_states AS s
        WHERE s.siren = affiliation_history.siren
            AND s.employee_key = affiliation_history.employee_key
            AND s.contract_reference = affiliation_history.contract_reference)""",
    expectations=(in_set("status", AFFILIATION_STATUSES),),
    month_column="night",
)

AFFILIATION_ANOMALIES = TableSpec(
    name="affiliation_anomalies",
    comment="Anomalies d'affiliation détectées par l'organisme, avec leur cycle de vie.",
    columns=(
        _c("anomaly_id", "VARCHAR", "Identifiant stable de l'anomalie."),
        _c("rule_code", "VARCHAR", "Code de la règle (AFF001…)."),
        _c("rule_label", "VARCHAR", "Libellé de la règle."),
        _c("severity", "VARCHAR", _one_of("Gravité", SEVERITIES)),
        _c("status", "VARCHAR", _one_of("Statut", ANOMALY_STATUSES)),
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        _c("employee_name", "VARCHAR", "Nom du salarié."),
        CONTRACT_REFERENCE,
        _c("period", "DATE", "Dernier mois déclaré où l'anomalie a été vue."),
        _c("detail", "VARCHAR", "Détail, en français."),
        _c("first_seen", "DATE", "Première nuit de détection."),
        _c("last_seen", "DATE", "Dernière nuit de détection."),
        _c("status_since", "DATE", "Nuit du dernier changement de statut."),
        _c(
            "affiliation_date",
            "DATE",
            "Date d'affiliation en cause, quand la règle en a une (début du contrat de travail "
            "ou S21.G00.70.014).",
        ),
        _c("action", "VARCHAR", "Ce que l'anomalie signifie et ce qu'il faut faire, en français."),
    ),
    key=("anomaly_id",),
    sql=f"""
        SELECT a.anomaly_id, a.rule_code, l.rule_label, a.severity, a.status, a.siren, a.siret,
            a.employee_key, a.employee_name, a.contract_reference, a.period, a.detail,
            a.first_seen, a.last_seen, a.status_since, a.affiliation_date, l.action
        FROM main.anomalies AS a
        LEFT JOIN (VALUES {_RULE_LABELS}) AS l (rule_code, rule_label, action) USING (rule_code)
    """,
    requires=("main.anomalies",),
    expectations=(
        in_set("status", ANOMALY_STATUSES),
        in_set("severity", SEVERITIES),
        in_set("rule_code", [rule.code for rule in RULES]),
        ordered("first_seen", "last_seen"),
    ),
    month_column="first_seen",
)

STOPPAGE_EPISODES = TableSpec(
    name="stoppage_episodes",
    comment="Arrêts de travail consolidés (un épisode par arrêt, toutes déclarations confondues).",
    columns=(
        _c("episode_id", "VARCHAR", "Identifiant de l'épisode d'arrêt."),
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        _c("contract_start", "DATE", "Début du contrat de travail."),
        _c("contract_number", "VARCHAR", "Numéro du contrat de travail."),
        COVERING_CONTRACT,
        _c("reason", "VARCHAR", "Motif de l'arrêt (S21.G00.60.001)."),
        FIRST_DAY_OFF,
        _c("planned_end", "DATE", "Fin prévisionnelle la plus récente."),
        _c("prolongation_count", "INTEGER", "Nombre de prolongations."),
        _c("return_date", "DATE", "Date de reprise, si déclarée."),
        _c("status", "VARCHAR", _one_of("Statut", EPISODE_STATUSES)),
        _c("reason_label", "VARCHAR", "Libellé du motif de l'arrêt (liste de la norme DSN)."),
    ),
    key=("episode_id",),
    # A reprise declared with no stoppage (`return_only`) is evidence, not a stoppage.
    sql=f"""
        SELECT episode_id, siren, siret, employee_key, contract_start, contract_number,
            contract_reference, reason, first_day_off, planned_end,
            CAST(prolongation_count AS INTEGER) AS prolongation_count, return_date, status,
            {label_of("S21.G00.60.001", "reason")} AS reason_label
        FROM stoppage.episodes
        WHERE NOT coalesce(return_only, false)
    """,
    requires=("stoppage.episodes",),
    expectations=(
        in_set("status", EPISODE_STATUSES),
        ordered("first_day_off", "return_date"),
    ),
    month_column="first_day_off",
)

STOPPAGE_SIGNALS = _straight_from(
    "stoppage.signals",
    name="stoppage_signals",
    comment="Signaux d'arrêt pour la gestion des sinistres prévoyance.",
    columns=(
        _c("signal_id", "VARCHAR", "Identifiant stable du signal."),
        _c("code", "VARCHAR", "Code du signal (ARR…)."),
        _c("label", "VARCHAR", "Libellé du signal."),
        _c("severity", "VARCHAR", "Gravité."),
        _c("episode_id", "VARCHAR", "Épisode d'arrêt concerné, le cas échéant."),
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        COVERING_CONTRACT,
        _c("signal_date", "DATE", "Date à laquelle le signal s'applique."),
        _c("detail", "VARCHAR", "Détail, en français."),
        _c("first_seen_night", "DATE", "Première nuit où le signal a été vu."),
    ),
    key=("signal_id",),
    month_column="signal_date",
)

STOPPAGE_CLAIMS = _straight_from(
    "stoppage.claims",
    name="stoppage_claims",
    comment="Déclarations de sinistre prévoyance pré-remplies (indemnités estimées).",
    columns=(
        _c("episode_id", "VARCHAR", "Épisode d'arrêt."),
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        _c("contract_reference", "VARCHAR", "Contrat de prévoyance."),
        FIRST_DAY_OFF,
        _c("allowances_start", "DATE", "Début d'indemnisation après franchise."),
        _c("reference_salary", AMOUNT, "Salaire de référence (estimation)."),
        _c("daily_allowance", AMOUNT, "Indemnité journalière (estimation)."),
        _c("allowance_to_date", AMOUNT, "Indemnités à date (estimation)."),
        _c(
            "estimate",
            "VARCHAR",
            "Toujours « estimation » : le système de prestations calcule ce qui est versé.",
        ),
    ),
    key=("episode_id",),
    expectations=(ordered("first_day_off", "allowances_start"),),
    month_column="first_day_off",
)

CONTRIBUTION_PERIODS = _straight_from(
    "ledger.balances",
    name="contribution_periods",
    comment="Cotisations par entreprise, contrat et période : dues, déclarées, attendues, "
    "payées, solde, échéance et date de visibilité sur le portail.",
    columns=(
        SIREN,
        CONTRACT_REFERENCE,
        PERIOD_CODE,
        _c("period_start", "DATE", "Début de la période."),
        _c("period_end", "DATE", "Fin de la période."),
        _c("due_date", "DATE", "Date d'échéance."),
        _c("visible_from", "DATE", "Date à partir de laquelle le portail montre la période."),
        _c("declared", AMOUNT, "Cotisations dues (somme des cotisations 059 déclarées)."),
        _c("declared_paid", AMOUNT, "Versements déclarés par l'entreprise (S21.G00.55)."),
        _c("expected", AMOUNT, "Cotisations attendues (taux × assiette), si calculables."),
        _c("paid", AMOUNT, "Paiements affectés à la période."),
        _c("balance", AMOUNT, "Solde : dû − payé (positif = dû par l'entreprise)."),
        PROVISIONAL,
    ),
    key=("siren", "contract_reference", "period_code"),
    expectations=(ordered("period_start", "period_end"), zero("balance_gap")),
    check_columns={"balance_gap": "declared - paid - balance"},
    month_column="period_start",
)

PAYMENTS = _straight_from(
    "ledger.allocations",
    name="payments",
    comment="Paiements reçus (relevés bancaires) et leur affectation aux périodes (lettrage).",
    columns=(
        _c("allocation_id", "VARCHAR", "Identifiant de la ligne d'affectation."),
        _c("movement_id", "VARCHAR", "Mouvement bancaire."),
        _c(
            "entry",
            "VARCHAR",
            "Nature : affectation (payé sur un appel), credit_non_affecte (payé, sur aucun appel), "
            "annulation (paiement rejeté qui défait une affectation).",
        ),
        SIREN,
        _c("call_id", "VARCHAR", "Appel de cotisations soldé, vide pour un crédit non affecté."),
        CONTRACT_REFERENCE,
        PERIOD_CODE,
        _c("amount", AMOUNT, "Montant (négatif pour un rejet)."),
        _c("date", "DATE", "Date de valeur, sinon de comptabilisation."),
        _c("payer_rule", "VARCHAR", "Règle d'identification du payeur."),
        _c("amount_rule", "VARCHAR", "Règle d'affectation du montant."),
        _c("score", "UTINYINT", "Score de confiance (0–100)."),
    ),
    key=("allocation_id",),
    # Money of an unknown payer (suspense account) belongs to no company: not on the portal.
    where="siren IS NOT NULL",
    expectations=(in_set("entry", [e.value for e in Entry]),),
    month_column="date",
)

ACCOUNT_STATEMENT_LINES = TableSpec(
    name="account_statement_lines",
    comment="Lignes de la situation de compte de chaque entreprise.",
    columns=(
        SIREN,
        _c("line_number", "INTEGER", "Ordre de la ligne dans la situation de l'entreprise."),
        _c("date", "DATE", "Date de l'opération."),
        _c("label", "VARCHAR", "Libellé."),
        CONTRACT_REFERENCE,
        PERIOD_CODE,
        _c("period", "VARCHAR", "Période en clair (du JJ/MM/AAAA au JJ/MM/AAAA)."),
        _c("debit", AMOUNT, "Débit."),
        _c("credit", AMOUNT, "Crédit."),
        _c("balance", AMOUNT, "Solde après la ligne."),
    ),
    key=("siren", "line_number"),
    sql="""
        SELECT siren, CAST(line_number AS INTEGER) AS line_number, date, label,
            contract_reference, period_code, period, debit, credit, balance
        FROM ledger.statement_lines
    """,
    requires=("ledger.statement_lines",),
    month_column="date",
)

DUNNING = _straight_from(
    "ledger.dunning",
    name="dunning",
    comment="Recouvrement : où en est chaque appel impayé (relance, mise en demeure…).",
    columns=(
        _c("call_id", "VARCHAR", "Appel de cotisations."),
        SIREN,
        CONTRACT_REFERENCE,
        PERIOD_CODE,
        _c("due_date", "DATE", "Échéance."),
        _c("outstanding", AMOUNT, "Reste dû."),
        _c("days_overdue", "INTEGER", "Jours de retard."),
        _c("stage", "VARCHAR", "Étape de recouvrement."),
        _c("stage_label", "VARCHAR", "Libellé de l'étape."),
        _c("notice_date", "DATE", "Date de mise en demeure possible."),
        _c("late_fee", AMOUNT, "Majorations de retard."),
        PROVISIONAL,
    ),
    key=("call_id",),
    expectations=(in_set("stage", [s.value for s in Stage]),),
)


# Filled by the publish step itself (serving.gates.withhold_companies): every company of the
# night is published, unless a gate it alone fails holds it back on its last good night.
COMPANY_PUBLICATION = TableSpec(
    name="company_publication",
    comment="Publication par entreprise : à jour de la nuit, ou retenue sur sa dernière bonne "
    "nuit parce qu'un contrôle par entreprise a échoué sur ses seules données (les autres "
    "entreprises sont publiées).",
    columns=(
        SIREN,
        _c(
            "publication_status",
            "VARCHAR",
            "« publiée » : données de la nuit ; « retenue » : les lignes de l'entreprise dans "
            "toutes les tables sont celles de sa dernière publication réussie (leur night_id le "
            "dit), ou absentes si elle n'a jamais été publiée.",
        ),
        _c("stale_since", "DATE", "Première nuit où l'entreprise a été retenue (vide si publiée)."),
        _c("data_night_id", "VARCHAR", "Publication dont viennent les lignes de l'entreprise."),
        _c("refused_gates", "VARCHAR", "Contrôles en échec sur ses données, en français."),
    ),
    key=("siren",),
    # A company held back by the gates gets its row again (`serving.gates`).
    sql=f"""
        SELECT siren, 'publiée' AS publication_status, NULL::DATE AS stale_since,
            CAST(getvariable('{NIGHT_ID_VARIABLE}') AS VARCHAR) AS data_night_id,
            NULL::VARCHAR AS refused_gates
        FROM core.companies
    """,
    requires=("core.companies",),
    expectations=(in_set("publication_status", ["publiée", "retenue"]),),
)

_STATUS_LABELS = ", ".join(
    f"({int(s)}, '{label}')" for s, label in DECLARATION_STATUS_LABELS.items()
)
_DECLARATION_KEY = _c(
    "declaration_id",
    "INTEGER",
    "Déclaration dans son fichier (numéro de la ligne de son bloc S20.G00.05).",
)
_FILE_ID = _c("file_id", "VARCHAR", "Empreinte SHA-256 du fichier reçu.")

DECLARATION_REPORTS = TableSpec(
    name="declaration_reports",
    comment="Comptes rendus des déclarations reçues (le « compte rendu métier ») : statut global "
    "0 à 3 de chaque déclaration, ses diagnostics et les anomalies d'affiliation qu'elle a "
    "fait naître ; le détail est dans declaration_diagnostics.",
    columns=(
        SIREN,
        SIRET,
        _FILE_ID,
        _DECLARATION_KEY,
        _c("file_name", "VARCHAR", "Nom du fichier à sa réception."),
        _c("nature", "VARCHAR", "Nature de la déclaration (S20.G00.05.001 : 01 mensuelle…)."),
        _c("type", "VARCHAR", "Type (S20.G00.05.002 : 01 normale, 03 annule et remplace…)."),
        _c("month", "DATE", "Mois principal déclaré (S20.G00.05.005), vide pour un signalement."),
        _c("built_on", "DATE", "Date de constitution du fichier (S20.G00.05.007)."),
        _c("status", "INTEGER", "Statut : 0 acceptée … 3 rejetée."),
        _c("status_label", "VARCHAR", "Statut en clair."),
        _c("errors", "INTEGER", "Nombre de diagnostics bloquants."),
        _c("warnings", "INTEGER", "Nombre d'avertissements."),
        _c("anomalies", "INTEGER", "Anomalies d'affiliation nées de cette déclaration."),
    ),
    key=("file_id", "declaration_id"),
    sql=f"""
        SELECT d.siren, d.siret, d.file_id, CAST(d.declaration_id AS INTEGER) AS declaration_id,
            f.original_name AS file_name, d.nature, d.type, d.month, d.built_on,
            CAST(d.status AS INTEGER) AS status, l.label AS status_label,
            CAST(coalesce(x.errors, 0) AS INTEGER) AS errors,
            CAST(coalesce(x.warnings, 0) AS INTEGER) AS warnings,
            CAST(coalesce(a.anomalies, 0) AS INTEGER) AS anomalies
        FROM staging.declarations AS d
        LEFT JOIN registry.files AS f USING (file_id)
        LEFT JOIN (VALUES {_STATUS_LABELS}) AS l (status, label) ON l.status = d.status
        LEFT JOIN (
            SELECT file_id, declaration_id, count(*) FILTER (severity = 'error') AS errors,
                count(*) FILTER (severity = 'warning') AS warnings
            FROM staging.diagnostics GROUP BY ALL
        ) AS x USING (file_id, declaration_id)
        LEFT JOIN (
            SELECT file_id, declaration_id, count(*) AS anomalies
            FROM main.anomalies WHERE file_id IS NOT NULL GROUP BY ALL
        ) AS a USING (file_id, declaration_id)
        WHERE d.siren IS NOT NULL
    """,
    requires=("staging.declarations", "staging.diagnostics", "registry.files", "main.anomalies"),
    expectations=(in_set("status_label", list(DECLARATION_STATUS_LABELS.values())),),
    month_column="built_on",
)

DECLARATION_DIAGNOSTICS = TableSpec(
    name="declaration_diagnostics",
    comment="Les diagnostics de chaque déclaration (valeurs personnelles masquées) : la ligne, "
    "la rubrique, le contrôle et son message.",
    columns=(
        SIREN,
        _FILE_ID,
        _DECLARATION_KEY,
        _c("line", "INTEGER", "Ligne du fichier."),
        _c("rubric", "VARCHAR", "Rubrique en cause."),
        _c("code", "VARCHAR", "Contrôle (identifiant du catalogue)."),
        _c("severity", "VARCHAR", "Gravité : error ou warning."),
        _c("message", "VARCHAR", "Message, en français."),
    ),
    key=("file_id", "declaration_id", "line", "code", "rubric"),
    sql="""
        SELECT d.siren, x.file_id, CAST(x.declaration_id AS INTEGER) AS declaration_id,
            CAST(x.line AS INTEGER) AS line, coalesce(x.rubric, '') AS rubric, x.code,
            x.severity, x.message
        FROM staging.diagnostics AS x
        JOIN staging.declarations AS d USING (file_id, declaration_id)
        WHERE d.siren IS NOT NULL AND x.line IS NOT NULL
        QUALIFY row_number() OVER (
            PARTITION BY x.file_id, x.declaration_id, x.line, x.code, coalesce(x.rubric, '')
            ORDER BY x.message) = 1
    """,
    requires=("staging.diagnostics", "staging.declarations"),
    expectations=(in_set("severity", ["error", "warning"]),),
)

CONTRIBUTION_DETAILS = TableSpec(
    name="contribution_details",
    comment="Détail des cotisations par entreprise, contrat, population et période : salariés "
    "et mois déclarés, assiette, taux du contrat, cotisations déclarées et attendues, écart.",
    columns=(
        SIREN,
        CONTRACT_REFERENCE,
        _c("population", "VARCHAR", "Code population (S21.G00.70.005 / S21.G00.55.002)."),
        PERIOD_CODE,
        _c("period_start", "DATE", "Début de la période."),
        _c("period_end", "DATE", "Fin de la période."),
        _c("employees", "INTEGER", "Salariés dont une cotisation 059 est déclarée."),
        _c("months_declared", "INTEGER", "Mois de la période déclarés."),
        _c("base_tranche_a", AMOUNT, "Assiette tranche A déclarée (S21.G00.79 type 11)."),
        _c("base_tranche_b", AMOUNT, "Assiette tranche B déclarée (S21.G00.79 type 13)."),
        _c("base_pmss", AMOUNT, "Assiette forfaitaire PMSS déclarée (S21.G00.79 type 18)."),
        _c(
            "rates",
            "VARCHAR",
            "Taux du contrat pour la population (fiche de paramétrage), en clair ; vide sans "
            "fiche.",
        ),
        _c("declared", AMOUNT, "Cotisations déclarées (somme des 059)."),
        _c("expected", AMOUNT, "Cotisations attendues (taux × assiette), si calculables."),
        _c("gap", AMOUNT, "Écart déclaré − attendu."),
    ),
    key=("siren", "contract_reference", "population", "period_code"),
    # The employees and bases of each call are summed with it (`ledgers.calls`): summing them
    # here again from every contribution and component was most of the candidate's time.
    sql="""
        WITH rates AS (
            SELECT contract_reference, population_code AS population,
                string_agg(
                    replace(rtrim(rtrim(CAST(rate_percent AS VARCHAR), '0'), '.'), '.', ',')
                        || ' % '
                        || CASE base WHEN 'tranche_a' THEN 'tranche A'
                            WHEN 'tranche_b' THEN 'tranche B' WHEN 'pmss' THEN 'du PMSS'
                            ELSE base END
                        || coalesce(' (option ' || option_code || ')', ''),
                    ' ; ' ORDER BY base, option_code) AS rates
            FROM reference.oc_contract_rates WHERE effective_to IS NULL GROUP BY ALL
        )
        SELECT k.siren, k.contract_reference, coalesce(k.population, '') AS population,
            k.period_code, k.period_start, k.period_end,
            CAST(coalesce(k.employees, 0) AS INTEGER) AS employees,
            CAST(k.months_declared AS INTEGER) AS months_declared,
            k.base_tranche_a, k.base_tranche_b, k.base_pmss, r.rates,
            k.declared, k.expected, k.gap
        FROM ledger.calls AS k
        LEFT JOIN rates AS r
            ON r.contract_reference = k.contract_reference AND r.population = k.population
        WHERE k.siren IS NOT NULL
    """,
    requires=("ledger.calls", "reference.oc_contract_rates"),
    expectations=(ordered("period_start", "period_end"),),
    month_column="period_start",
)

CONTRACTS = TableSpec(
    name="contracts",
    comment="« Mes contrats » : chaque contrat de l'entreprise avec l'organisme, son risque, ses "
    "options et populations, tels que sa fiche de paramétrage les donne.",
    columns=(
        SIREN,
        CONTRACT_REFERENCE,
        _c("risk", "VARCHAR", "Risque couvert : santé ou prévoyance."),
        _c("legal_regime", "VARCHAR", "Régime de l'organisme (institution de prévoyance…)."),
        _c("effective_from", "DATE", "Début d'effet du contrat."),
        _c("effective_to", "DATE", "Fin d'effet, si le contrat est terminé."),
        _c("payment_periodicity", "VARCHAR", "Périodicité des cotisations (mensuelle…)."),
        _c("options", "VARCHAR", "Options (garanties) : code et libellé, séparés par « ; »."),
        _c(
            "populations",
            "VARCHAR",
            "Populations couvertes : code, libellé et catégories S21.G00.40.003.",
        ),
    ),
    key=("siren", "contract_reference"),
    sql="""
        SELECT json_extract_string(document, '$.siren') AS siren, contract_reference,
            CASE json_extract_string(document, '$.cover')
                WHEN 'sante' THEN 'santé' WHEN 'prevoyance' THEN 'prévoyance'
                ELSE json_extract_string(document, '$.cover') END AS risk,
            CASE json_extract_string(document, '$.legal_regime')
                WHEN 'institution_prevoyance' THEN 'institution de prévoyance'
                WHEN 'entreprise_assurance' THEN 'entreprise d''assurance'
                ELSE json_extract_string(document, '$.legal_regime') END AS legal_regime,
            CAST(json_extract_string(document, '$.effective_from') AS DATE) AS effective_from,
            CAST(json_extract_string(document, '$.effective_to') AS DATE) AS effective_to,
            json_extract_string(document, '$.payment_periodicity') AS payment_periodicity,
            (SELECT string_agg(o.code || ' – ' || o.label, ' ; ' ORDER BY o.code)
             FROM (SELECT unnest(json_extract(document, '$.options[*]')) AS option) AS x,
                  LATERAL (SELECT json_extract_string(x.option, '$.code') AS code,
                                  json_extract_string(x.option, '$.label') AS label) AS o
            ) AS options,
            (SELECT string_agg(
                        p.code || ' – ' || p.label || ' (catégories ' || p.categories || ')',
                        ' ; ' ORDER BY p.code)
             FROM (SELECT unnest(json_extract(document, '$.populations[*]')) AS population) AS y,
                  LATERAL (SELECT json_extract_string(y.population, '$.code') AS code,
                                  json_extract_string(y.population, '$.label') AS label,
                                  array_to_string(
                                      CAST(json_extract(y.population, '$.categories')
                                          AS VARCHAR[]), ', ') AS categories) AS p
            ) AS populations
        FROM reference.contract_parameters
    """,
    requires=("reference.contract_parameters",),
    expectations=(in_set("risk", ["santé", "prévoyance"]),),
)

PORTAL_TABLES: tuple[TableSpec, ...] = (
    COMPANIES,
    ESTABLISHMENTS,
    CONTRACTS,
    EMPLOYEES,
    AFFILIATION_STATES,
    AFFILIATION_FOLLOW_UP,
    AFFILIATION_ANOMALIES,
    STOPPAGE_EPISODES,
    STOPPAGE_SIGNALS,
    STOPPAGE_CLAIMS,
    CONTRIBUTION_PERIODS,
    CONTRIBUTION_DETAILS,
    PAYMENTS,
    ACCOUNT_STATEMENT_LINES,
    DUNNING,
    COMPANY_PUBLICATION,
    DECLARATION_REPORTS,
    DECLARATION_DIAGNOSTICS,
)
