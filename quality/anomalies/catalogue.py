"""The catalogue of affiliation anomaly rules: what each code means and how it is identified.

One entry per category of anomaly the insurer must detect itself (DOMAIN.md §3). The code is
stable: it keys the anomaly register, the steward's decisions and the synthetic generator's
ground truth (`synthetic/truth.py` uses the same strings, AFF001...), so a code is never renamed
or reused; a rule that changes meaning gets a new code.

`identity` lists the detection columns (see `model.IDENTITY_COLUMNS`) that tell one situation
from another for that rule; see `model` for why the detail and the period are usually left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from quality.anomalies.model import IDENTITY_COLUMNS, AnomalySeverity

_EMPLOYEE_ON_CONTRACT = ("siret", "employee_key", "contract_reference")


@dataclass(frozen=True)
class AnomalyRule:
    code: str
    severity: AnomalySeverity
    label: str  # short, French: the portal's "Suivi des anomalies d'affiliation" column
    explanation: str  # French: what it means and what the steward usually does
    identity: tuple[str, ...]  # detection columns identifying the situation
    situation: str | None = None  # what the `situation` column holds, when in the identity

    def __post_init__(self) -> None:
        unknown = set(self.identity) - set(IDENTITY_COLUMNS)
        if unknown or not self.identity:
            raise ValueError(f"{self.code} : identité invalide {self.identity}")
        if ("situation" in self.identity) != (self.situation is not None):
            raise ValueError(f"{self.code} : documenter la colonne situation de l'identité")


RULES: tuple[AnomalyRule, ...] = (
    AnomalyRule(
        code="AFF001",
        severity=AnomalySeverity.ERROR,
        label="Salarié déclaré sans affiliation alors que sa population est couverte",
        explanation=(
            "Le salarié est déclaré dans la DSN de l'établissement, sa catégorie relève d'une "
            "population couverte par le contrat, mais aucune affiliation (S21.G00.70) ne le "
            "rattache à ce contrat : il n'est pas couvert. Demander à l'entreprise de corriger "
            "sa paie, ou forcer l'affiliation si le salarié doit être couvert."
        ),
        identity=_EMPLOYEE_ON_CONTRACT,
    ),
    AnomalyRule(
        code="AFF002",
        severity=AnomalySeverity.WARNING,
        label="Salarié affilié absent de la DSN du mois sans fin de contrat",
        explanation=(
            "Le salarié était affilié au contrat le mois précédent mais n'apparaît plus dans la "
            "DSN mensuelle de l'établissement, sans fin de contrat de travail (S21.G00.62) ni "
            "signalement FCTU. Vérifier auprès de l'entreprise un départ non déclaré (forcer la "
            "radiation) ou un oubli dans la paie."
        ),
        identity=_EMPLOYEE_ON_CONTRACT,
    ),
    AnomalyRule(
        code="AFF003",
        severity=AnomalySeverity.ERROR,
        label="Affiliation sur un contrat inconnu de l'organisme",
        explanation=(
            "L'affiliation est rattachée à une adhésion (S21.G00.15) dont la référence de "
            "contrat n'existe dans aucune fiche de paramétrage de l'organisme pour ce code "
            "organisme et cette entreprise. Faire corriger la référence par l'entreprise ou "
            "vérifier le paramétrage du contrat."
        ),
        identity=_EMPLOYEE_ON_CONTRACT,
    ),
    AnomalyRule(
        code="AFF004",
        severity=AnomalySeverity.ERROR,
        label="Code option absent de la fiche de paramétrage du contrat",
        explanation=(
            "Le code option déclaré (S21.G00.70.004) n'est pas prévu par la fiche de paramétrage "
            "du contrat : les garanties et la cotisation ne peuvent pas être déterminées. Faire "
            "corriger le code par l'entreprise."
        ),
        identity=(*_EMPLOYEE_ON_CONTRACT, "situation"),
        situation="le code option déclaré",
    ),
    AnomalyRule(
        code="AFF005",
        severity=AnomalySeverity.ERROR,
        label="Code population absent de la fiche de paramétrage du contrat",
        explanation=(
            "Le code population déclaré (S21.G00.70.005) n'est pas prévu par la fiche de "
            "paramétrage du contrat : les garanties et la cotisation ne peuvent pas être "
            "déterminées. Faire corriger le code par l'entreprise."
        ),
        identity=(*_EMPLOYEE_ON_CONTRACT, "situation"),
        situation="le code population déclaré",
    ),
    AnomalyRule(
        code="AFF006",
        severity=AnomalySeverity.WARNING,
        label="Salarié déclaré avec un NTT sans NIR depuis plus de 3 mois",
        explanation=(
            "Le salarié est déclaré avec un numéro technique temporaire (S21.G00.30.020) et sans "
            "NIR depuis plus longtemps que le délai admis (3 mois par défaut) : ses prestations "
            "ne peuvent pas être rapprochées de l'Assurance maladie. Relancer l'entreprise."
        ),
        identity=("siret", "employee_key"),
    ),
    AnomalyRule(
        code="AFF007",
        severity=AnomalySeverity.WARNING,
        label="Changement de NIR sans bloc S21.G00.31",
        explanation=(
            "Le NIR du salarié a changé d'un mois à l'autre sur le même contrat de travail sans "
            "bloc de changement d'identité (S21.G00.31) portant l'ancien NIR. Vérifier "
            "l'identité avec l'entreprise avant de rapprocher les deux dossiers."
        ),
        identity=("siret", "employee_key", "situation"),
        situation="l'ancien NIR",
    ),
    AnomalyRule(
        code="AFF008",
        severity=AnomalySeverity.WARNING,
        label="Même NIR déclaré dans deux établissements",
        explanation=(
            "Le même NIR est affilié le même mois au même contrat par deux établissements : "
            "doublon de paie, erreur de NIR ou transfert mal déclaré. Les cotisations risquent "
            "d'être comptées deux fois."
        ),
        identity=("employee_key", "contract_reference", "situation"),
        situation="les deux SIRET, dans l'ordre croissant, séparés par « + »",
    ),
    AnomalyRule(
        code="AFF009",
        severity=AnomalySeverity.ERROR,
        label="Salarié toujours déclaré après la fin de son contrat",
        explanation=(
            "Le salarié est encore déclaré pour un mois postérieur à la fin de son contrat de "
            "travail (S21.G00.62) : fin de contrat à annuler (motif 099) ou déclaration à "
            "corriger. Sa couverture dépend de la réponse."
        ),
        identity=("siret", "employee_key", "employment_start", "employment_number"),
    ),
    AnomalyRule(
        code="AFF010",
        severity=AnomalySeverity.WARNING,
        label="Nombre d'ayants droit différent des blocs S21.G00.73",
        explanation=(
            "Les nombres d'ayants droit déclarés dans l'affiliation (S21.G00.70.007 à .011) ne "
            "correspondent pas aux blocs Ayant droit (S21.G00.73) : la cotisation famille ou "
            "les garanties des ayants droit peuvent être fausses."
        ),
        identity=_EMPLOYEE_ON_CONTRACT,
    ),
    AnomalyRule(
        code="AFF011",
        severity=AnomalySeverity.ERROR,
        label="Fin d'affiliation antérieure à son début",
        explanation=(
            "Une DSN a déclaré l'affiliation à partir d'une date de début (S21.G00.70.014), "
            "puis une déclaration suivante la termine avant cette date, par une date de fin "
            "d'affiliation (S21.G00.70.015) ou une fin du contrat de travail (S21.G00.62.001) : "
            "chaque bloc est valide seul, mais la période de couverture est impossible. Faire "
            "préciser par l'entreprise la bonne date de début ou de fin. Une fin antérieure au "
            "début dans un même bloc est rejetée par le contrôle S21.G00.70.015/CCH-11."
        ),
        identity=(*_EMPLOYEE_ON_CONTRACT, "affiliation_date"),
    ),
    AnomalyRule(
        code="AFF012",
        severity=AnomalySeverity.WARNING,
        label="Cotisation différente du taux contractuel appliqué à l'assiette",
        explanation=(
            "La cotisation individuelle déclarée (S21.G00.81 code 059) s'écarte, au-delà de la "
            "tolérance, du taux de la fiche de paramétrage appliqué à la base déclarée "
            "(S21.G00.79). Une anomalie par salarié, contrat et mois."
        ),
        identity=(*_EMPLOYEE_ON_CONTRACT, "period"),
    ),
    AnomalyRule(
        code="AFF013",
        severity=AnomalySeverity.WARNING,
        label="Demande d'affiliation du portail jamais retrouvée en DSN",
        explanation=(
            "Une demande d'affiliation faite sur l'espace entreprise n'a trouvé aucune "
            "affiliation correspondante dans les DSN reçues depuis, passé le délai admis. "
            "Vérifier que l'entreprise a bien mis à jour sa paie."
        ),
        identity=(*_EMPLOYEE_ON_CONTRACT, "affiliation_date"),
    ),
    AnomalyRule(
        code="AFF014",
        severity=AnomalySeverity.WARNING,
        label="Salarié déclaré affilié mais dispensé auprès de l'organisme",
        explanation=(
            "Le salarié est affilié dans la DSN alors qu'il bénéficie d'une dispense d'adhésion "
            "enregistrée par l'organisme : l'entreprise cotise pour un salarié non couvert. "
            "Forcer l'affiliation si la dispense a pris fin, sinon demander la correction."
        ),
        identity=_EMPLOYEE_ON_CONTRACT,
    ),
    AnomalyRule(
        code="AFF015",
        severity=AnomalySeverity.ERROR,
        label="Salarié déclaré affilié mais radié auprès de l'organisme",
        explanation=(
            "Le salarié est affilié dans la DSN alors que l'organisme l'a radié de ce contrat. "
            "Forcer l'affiliation si la radiation était une erreur, sinon forcer la radiation "
            "et demander à l'entreprise de corriger sa déclaration."
        ),
        identity=_EMPLOYEE_ON_CONTRACT,
    ),
)

RULES_BY_CODE: dict[str, AnomalyRule] = {rule.code: rule for rule in RULES}
if len(RULES_BY_CODE) != len(RULES):
    raise ValueError("Deux règles du catalogue portent le même code")


def rule(code: str) -> AnomalyRule:
    try:
        return RULES_BY_CODE[code]
    except KeyError:
        raise KeyError(f"Règle d'anomalie inconnue : {code}") from None
