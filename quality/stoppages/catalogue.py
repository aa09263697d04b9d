"""Stoppage signal codes, severities and French labels.

The codes are the ones of the generator's ground truth (`synthetic/truth.py`, `Signal`), so its
precision and recall can be measured; the generator spells them itself and a test
checks that both agree (`tests/quality/test_detection.py`).
"""

from __future__ import annotations

from enum import StrEnum


class Signal(StrEnum):
    NEW_STOPPAGE = "ARR001"
    PROLONGATION = "ARR002"
    RETURN = "ARR003"
    FRANCHISE_REACHED = "ARR004"
    LONGER_THAN_A_YEAR = "ARR005"
    RETURN_WITHOUT_STOPPAGE = "ARR006"
    OVERLAPPING_STOPPAGES = "ARR007"
    SIGNALEMENT_NOT_IN_MONTHLY = "ARR008"
    SUBROGATION_ENDED_WHILE_OFF = "ARR009"
    INVALIDITY = "ARR010"
    DEATH = "ARR011"


# code -> (severity, label shown to the claims team)
SIGNAL_LABELS: dict[Signal, tuple[str, str]] = {
    Signal.NEW_STOPPAGE: ("info", "Nouvel arrêt de travail"),
    Signal.PROLONGATION: ("info", "Prolongation d'arrêt"),
    Signal.RETURN: ("info", "Reprise du travail"),
    Signal.FRANCHISE_REACHED: (
        "warning",
        "Franchise du contrat atteinte : indemnités journalières à prévoir",
    ),
    Signal.LONGER_THAN_A_YEAR: ("warning", "Arrêt de plus d'un an : examen de l'invalidité"),
    Signal.RETURN_WITHOUT_STOPPAGE: ("warning", "Reprise déclarée sans arrêt"),
    Signal.OVERLAPPING_STOPPAGES: ("warning", "Arrêts qui se chevauchent"),
    Signal.SIGNALEMENT_NOT_IN_MONTHLY: (
        "warning",
        "Arrêt signalé absent de la DSN mensuelle suivante",
    ),
    Signal.SUBROGATION_ENDED_WHILE_OFF: ("info", "Fin de subrogation pendant l'arrêt"),
    Signal.INVALIDITY: ("warning", "Invalidité d'un salarié affilié"),
    Signal.DEATH: ("warning", "Décès d'un salarié affilié"),
}

# S21.G00.60.001 = 99: the stoppage declared earlier with the same last day worked is cancelled.
CANCELLATION_REASON = "99"
# S21.G00.65.001: invalidity category 1, 2, 3.
INVALIDITY_REASONS = frozenset({"112", "114", "116"})
# S21.G00.62.002 = 066: death of the employee.
DEATH_REASON = "066"


class EpisodeStatus(StrEnum):
    ONGOING = "en cours"
    PROLONGED = "prolongé"
    ENDED = "terminé"
    CANCELLED = "annulé"


# An episode still running on the night: the portal's "en cours" filter and the night summary.
IN_PROGRESS = (EpisodeStatus.ONGOING.value, EpisodeStatus.PROLONGED.value)
IN_PROGRESS_SQL = ", ".join(f"'{status}'" for status in IN_PROGRESS)
