"""The tables of the portal's snapshot `portal_v1`: one `TableSpec` each.

A table whose `requires` are missing from the warehouse (a domain not deployed yet) is
published empty with its final columns; `sql=None` declares a table before its domain exists.
Adding a table: one entry here, then regenerate the contract
(`python -m warehouse.publish.contract --write`).
Every table also carries `night_id` (added by the build), so a reader can tell one night from
the next and never mixes two.
"""

from __future__ import annotations

from ledgers.allocation import Entry
from ledgers.dunning import Stage
from quality.anomalies.catalogue import RULES
from quality.stoppages.catalogue import EpisodeStatus
from warehouse.publish.spec import Column, Expectation, TableSpec, in_set, ordered, zero

AFFILIATION_STATUSES = [
    "affilié",
    "en cours d'affiliation",
    "à relancer",
    "dispensé",
    "radié",
    "en portabilité",
]
ANOMALY_STATUSES = ["open", "acknowledged", "resolved_by_data", "resolved_by_steward"]
SEVERITIES = ["error", "warning", "info"]
AMOUNT = "DECIMAL(18,2)"


def _c(name: str, type_: str, comment: str) -> Column:
    return Column(name, type_, comment)


SIREN = _c("siren", "VARCHAR", "SIREN de l'entreprise (contrôle d'accès par entreprise).")
SIRET = _c("siret", "VARCHAR", "SIRET de l'établissement.")
EMPLOYEE_KEY = _c("employee_key", "VARCHAR", "Identifiant du salarié : NIR, sinon « NTT: » + NTT.")
CONTRACT_REFERENCE = _c("contract_reference", "VARCHAR", "Référence du contrat de l'organisme.")
PERIOD_CODE = _c("period_code", "VARCHAR", "Période au format DSN (2024M01, 2023T04).")

_RULE_LABELS = ", ".join(
    "('{}', '{}')".format(rule.code, rule.label.replace("'", "''")) for rule in RULES
)

COMPANIES = TableSpec(
    name="companies",
    comment="Entreprises clientes ayant au moins une déclaration en vigueur.",
    columns=(
        SIREN,
        _c("establishments", "INTEGER", "Nombre d'établissements déclarants."),
        _c("first_month", "DATE", "Premier mois déclaré."),
        _c("last_month", "DATE", "Dernier mois déclaré."),
    ),
    key=("siren",),
    sql="SELECT siren, establishments, first_month, last_month FROM core.companies",
    requires=("core.companies",),
    expectations=(ordered("first_month", "last_month"),),
)

ESTABLISHMENTS = TableSpec(
    name="establishments",
    comment="Établissements des entreprises, tels que leur dernière déclaration les décrit.",
    columns=(
        SIRET,
        SIREN,
        _c("nic", "VARCHAR", "NIC de l'établissement (S21.G00.11.001)."),
        _c("ape", "VARCHAR", "Code APE (S21.G00.11.002)."),
        _c("postal_code", "VARCHAR", "Code postal (S21.G00.11.004)."),
        _c("city", "VARCHAR", "Localité (S21.G00.11.005)."),
        _c("first_month", "DATE", "Premier mois déclaré."),
        _c("last_month", "DATE", "Dernier mois déclaré."),
    ),
    key=("siret",),
    sql="SELECT siret, siren, nic, ape, postal_code, city, first_month, last_month "
    "FROM core.establishments",
    requires=("core.establishments",),
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
    ),
    key=("siren", "employee_key", "contract_start", "contract_number"),
    sql="""
        SELECT coalesce(s.siren, left(c.siret, 9)) AS siren, c.siret, c.employee_key, e.nir,
            e.ntt, e.last_name, e.first_names, e.birth_date, c.contract_start,
            c.contract_number, c.category, c.contract_nature, c.first_month, c.last_month,
            c.end_date, c.end_reason
        FROM core.employment_contracts AS c
        JOIN core.employees AS e USING (employee_key)
        LEFT JOIN core.establishments AS s USING (siret)
    """,
    requires=("core.employment_contracts", "core.employees", "core.establishments"),
    expectations=(ordered("first_month", "last_month"), ordered("contract_start", "end_date")),
    month_column="first_month",
)

AFFILIATION_STATES = TableSpec(
    name="affiliation_states",
    comment="État d'affiliation de chaque salarié sur chaque contrat de l'organisme.",
    columns=(
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        _c("employee_name", "VARCHAR", "Nom et prénoms du salarié."),
        CONTRACT_REFERENCE,
        _c("status", "VARCHAR", "État : " + ", ".join(AFFILIATION_STATUSES) + "."),
        _c("status_since", "DATE", "Date depuis laquelle l'état s'applique."),
        _c("portability_end", "DATE", "Fin de la portabilité, pour un salarié en portabilité."),
        _c("end_reason", "VARCHAR", "Motif de fin (S21.G00.62.002 ou motif de radiation)."),
        _c("option_code", "VARCHAR", "Code option (S21.G00.70.004)."),
        _c("population_code", "VARCHAR", "Code population (S21.G00.70.005)."),
        _c("dependants", "INTEGER", "Nombre d'ayants droit."),
        _c("source", "VARCHAR", "Origine de l'état : dsn, portail ou gestionnaire."),
    ),
    key=("siren", "employee_key", "contract_reference"),
    sql="""
        SELECT siren, siret, employee_key, employee_name, contract_reference, status,
            status_since, portability_end, end_reason, option_code, population_code,
            dependants, source
        FROM core.affiliation_states
    """,
    requires=("core.affiliation_states",),
    expectations=(in_set("status", AFFILIATION_STATUSES),),
)

AFFILIATION_FOLLOW_UP = TableSpec(
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
    sql="""
        SELECT siren, siret, employee_key, contract_reference, status, status_since,
            portability_end, end_reason, option_code, population_code, source, night
        FROM core.affiliation_history
    """,
    requires=("core.affiliation_history",),
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
        _c("severity", "VARCHAR", "Gravité : error, warning, info."),
        _c(
            "status",
            "VARCHAR",
            "Statut : open, acknowledged, resolved_by_data, resolved_by_steward.",
        ),
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
    ),
    key=("anomaly_id",),
    sql=f"""
        SELECT a.anomaly_id, a.rule_code, l.rule_label, a.severity, a.status, a.siren, a.siret,
            a.employee_key, a.employee_name, a.contract_reference, a.period, a.detail,
            a.first_seen, a.last_seen, a.status_since
        FROM main.anomalies AS a
        LEFT JOIN (VALUES {_RULE_LABELS}) AS l (rule_code, rule_label) USING (rule_code)
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
        _c("contract_reference", "VARCHAR", "Contrat de prévoyance qui couvre le salarié."),
        _c("reason", "VARCHAR", "Motif de l'arrêt (S21.G00.60.001)."),
        _c("first_day_off", "DATE", "Premier jour d'arrêt."),
        _c("planned_end", "DATE", "Fin prévisionnelle la plus récente."),
        _c("prolongation_count", "INTEGER", "Nombre de prolongations."),
        _c("return_date", "DATE", "Date de reprise, si déclarée."),
        _c("status", "VARCHAR", "Statut : " + ", ".join(s.value for s in EpisodeStatus) + "."),
    ),
    key=("episode_id",),
    # A reprise declared with no stoppage (`return_only`) is evidence, not a stoppage.
    sql="""
        SELECT episode_id, siren, siret, employee_key, contract_start, contract_number,
            contract_reference, reason, first_day_off, planned_end,
            CAST(prolongation_count AS INTEGER) AS prolongation_count, return_date, status
        FROM stoppage.episodes
        WHERE NOT coalesce(return_only, false)
    """,
    requires=("stoppage.episodes",),
    expectations=(
        in_set("status", [s.value for s in EpisodeStatus]),
        ordered("first_day_off", "return_date"),
    ),
    month_column="first_day_off",
)

STOPPAGE_SIGNALS = TableSpec(
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
        _c("contract_reference", "VARCHAR", "Contrat de prévoyance qui couvre le salarié."),
        _c("signal_date", "DATE", "Date à laquelle le signal s'applique."),
        _c("detail", "VARCHAR", "Détail, en français."),
        _c("first_seen_night", "DATE", "Première nuit où le signal a été vu."),
    ),
    key=("signal_id",),
    sql="""
        SELECT signal_id, code, label, severity, episode_id, siren, siret, employee_key,
            contract_reference, signal_date, detail, first_seen_night
        FROM stoppage.signals
    """,
    requires=("stoppage.signals",),
    month_column="signal_date",
)

STOPPAGE_CLAIMS = TableSpec(
    name="stoppage_claims",
    comment="Déclarations de sinistre prévoyance pré-remplies (indemnités estimées).",
    columns=(
        _c("episode_id", "VARCHAR", "Épisode d'arrêt."),
        SIREN,
        SIRET,
        EMPLOYEE_KEY,
        _c("contract_reference", "VARCHAR", "Contrat de prévoyance."),
        _c("first_day_off", "DATE", "Premier jour d'arrêt."),
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
    sql="""
        SELECT episode_id, siren, siret, employee_key, contract_reference, first_day_off,
            allowances_start, reference_salary, daily_allowance, allowance_to_date, estimate
        FROM stoppage.claims
    """,
    requires=("stoppage.claims",),
    expectations=(ordered("first_day_off", "allowances_start"),),
    month_column="first_day_off",
)

CONTRIBUTION_PERIODS = TableSpec(
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
    ),
    key=("siren", "contract_reference", "period_code"),
    sql="""
        SELECT siren, contract_reference, period_code, period_start, period_end, due_date,
            visible_from, declared, declared_paid, expected, paid, balance
        FROM ledger.balances
    """,
    requires=("ledger.balances",),
    expectations=(ordered("period_start", "period_end"), zero("balance_gap")),
    check_columns={"balance_gap": "declared - paid - balance"},
    month_column="period_start",
)

PAYMENTS = TableSpec(
    name="payments",
    comment="Paiements reçus (relevés bancaires) et leur affectation aux périodes (lettrage).",
    columns=(
        _c("allocation_id", "VARCHAR", "Identifiant de la ligne d'affectation."),
        _c("movement_id", "VARCHAR", "Mouvement bancaire."),
        _c("entry", "VARCHAR", "Nature : affectation, crédit non affecté, rejet."),
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
    sql="""
        SELECT allocation_id, movement_id, entry, siren, call_id, contract_reference,
            period_code, amount, date, payer_rule, amount_rule, score
        FROM ledger.allocations
        WHERE siren IS NOT NULL
    """,
    requires=("ledger.allocations",),
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

DUNNING = TableSpec(
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
    ),
    key=("call_id",),
    sql="""
        SELECT call_id, siren, contract_reference, period_code, due_date, outstanding,
            days_overdue, stage, stage_label, notice_date, late_fee
        FROM ledger.dunning
    """,
    requires=("ledger.dunning",),
    expectations=(in_set("stage", [s.value for s in Stage]),),
)

PORTAL_TABLES: tuple[TableSpec, ...] = (
    COMPANIES,
    ESTABLISHMENTS,
    EMPLOYEES,
    AFFILIATION_STATES,
    AFFILIATION_FOLLOW_UP,
    AFFILIATION_ANOMALIES,
    STOPPAGE_EPISODES,
    STOPPAGE_SIGNALS,
    STOPPAGE_CLAIMS,
    CONTRIBUTION_PERIODS,
    PAYMENTS,
    ACCOUNT_STATEMENT_LINES,
    DUNNING,
)
