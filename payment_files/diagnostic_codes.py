"""The stable codes of the bank-file diagnostics, with what each means for the data steward.

A code never changes meaning; a new situation gets a new code. Errors (E) reject a record (or the
whole file, for the file-level ones) and are counted in `records_rejected`; warnings (W) keep the
data and point at something to look at.
"""

from __future__ import annotations

DIAGNOSTIC_CODES: dict[str, str] = {
    # the file as a whole
    "FICHIER_ILLISIBLE": "E — le fichier n'a pas pu être lu sur le disque",
    "FICHIER_VIDE": "E — fichier vide",
    "FORMAT_INCONNU": "E — ni camt.053, ni camt.054, ni pain.002, ni CFONB 120",
    "FORMAT_NON_PRIS_EN_CHARGE": "E — message ISO 20022 reconnu mais non traité (camt.052...)",
    "XML_MALFORME": "E — XML mal formé ou tronqué : fichier non lu (ligne indiquée)",
    "XML_ENTITE": "W — DTD ou entités XML non interprétées : libellés tronqués, lettrage compromis",
    "VERSION_NON_TESTEE": "W — version de message lue comme les versions connues",
    "ERREUR_INTERNE": "E — erreur du lecteur : fichier à examiner par l'équipe technique",
    # statements, any format
    "SOLDE_INCOHERENT": "W — solde d'ouverture + mouvements ≠ solde de clôture",
    "SOLDES_DISCONTINUS": "W — un relevé ne reprend pas le solde de clôture du précédent",
    # account numbers, any format
    "IBAN_INVALIDE": "W — IBAN du compte ou du débiteur à la clé de contrôle fausse",
    "BIC_INVALIDE": "W — BIC de la banque du débiteur mal formé",
    # camt.053 / camt.054
    "CAMT_SANS_RELEVE": "W — message sans relevé (Stmt) ni avis (Ntfctn)",
    "CAMT_SOLDE_ILLISIBLE": "W — solde (Bal) sans montant, sens ou date lisible : ignoré",
    "CAMT_ECRITURE_ILLISIBLE": "E — écriture (Ntry) sans montant ou sens lisible : rejetée",
    "CAMT_DATE_INVALIDE": "E — écriture (Ntry) à la date invalide : rejetée",
    "CAMT_DATE_COMPTABLE_ABSENTE": "W — écriture sans date de comptabilisation",
    "CAMT_LOT_NON_VENTILE": "W — lot dont les détails ne reconstituent pas le montant : non éclaté",
    "CAMT_MONTANT_DETAIL_DIVERGENT": "W — montant du détail ≠ montant de l'écriture",
    "CAMT_TOTAUX_INCOHERENTS": "W — récapitulatif TxsSummry ≠ écritures lues",
    # CFONB 120
    "CFONB_LONGUEUR": "E — enregistrement de plus ou de moins de 120 caractères : rejeté",
    "CFONB_LONGUEUR_ESPACES": "W — espaces au-delà du 120e caractère : lu sur 120 caractères",
    "CFONB_ENREGISTREMENT_INCONNU": "E — code enregistrement autre que 01, 04, 05, 07 : rejeté",
    "CFONB_MONTANT_INVALIDE": "E — montant illisible (positions 91-104) : rejeté",
    "CFONB_DATE_INVALIDE": "E — date illisible (JJMMAA) : rejeté",
    "CFONB_DATE_ABSENTE": "E — mouvement sans date de comptabilisation : rejeté",
    "CFONB_COMPLEMENT_ORPHELIN": "E — complément 05 sans mouvement 04 lu avant lui : rejeté",
    "CFONB_DECIMALES_ABSENTES": "W — nombre de décimales absent : 2 retenues",
    "CFONB_COMPTE_DIFFERENT": "W — numéro de compte différent de celui de l'ancien solde",
    "CFONB_MOUVEMENT_SANS_ENTETE": "W — mouvements sans ancien solde (01)",
    "CFONB_SOLDE_SANS_ENTETE": "W — nouveau solde (07) sans ancien solde (01)",
    "CFONB_RELEVE_NON_CLOS": "W — relevé sans nouveau solde (07)",
    "CFONB_COMPLEMENT_VIDE": "W — complément 05 vide",
    "CFONB_QUALIFIANT_INCONNU": "W — qualifiant de complément 05 inconnu : texte conservé",
    # pain.002
    "PAIN002_MONTANT_INVALIDE": "E — montant d'une transaction rejetée illisible : rejetée",
    "PAIN002_MOTIF_ABSENT": "W — transaction rejetée sans code motif",
    "PAIN002_REJET_GLOBAL": "W — remise rejetée en bloc, sans détail par transaction",
}
