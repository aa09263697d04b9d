"""The warehouse's bookkeeping (`main`) and the file registry (`registry`), declared once."""

from __future__ import annotations

from warehouse.schema import COMMENTS_TABLE, Column, Table
from warehouse.tables.columns import FILE_ID

# main: the warehouse's bookkeeping

SCHEMA_MIGRATIONS = Table(
    "main",
    "schema_migrations",
    "Les migrations de schéma appliquées à cet entrepôt, une ligne par version.",
    (
        Column("version", "INTEGER", "Numéro de la migration (NNNN du fichier).", False),
        Column("name", "VARCHAR", "Nom de la migration (fichier NNNN_nom.sql).", False),
        Column(
            "checksum",
            "VARCHAR",
            "SHA-256 du fichier appliqué : une migration modifiée après coup est refusée.",
            False,
        ),
        Column("applied_at", "TIMESTAMP", "Date et heure de l'application.", False),
    ),
    key=("version",),
)

TABLE_COMMENTS = Table(
    "main",
    COMMENTS_TABLE,
    "Les commentaires appliqués à chaque table depuis sa déclaration : ils ne sont réappliqués "
    "que lorsque la déclaration change.",
    (
        Column("table_name", "VARCHAR", "Table commentée (schéma.table).", False),
        Column(
            "comments_hash",
            "VARCHAR",
            "SHA-256 des commentaires appliqués, tels que la déclaration les donne.",
            False,
        ),
    ),
    key=("table_name",),
)

SCHEMA_STAMP = Table(
    "main",
    "schema_stamp",
    "L'empreinte du schéma auquel une connexion en écriture a mis l'entrepôt à jour en dernier "
    "(migrations et déclarations des tables de son code) : une même empreinte n'a rien à "
    "appliquer.",
    (Column("stamp", "VARCHAR", "SHA-256 des migrations et des déclarations des tables.", False),),
)

DEFERRED_MERGES = Table(
    "main",
    "deferred_merges",
    "Les écritures dont la fusion des groupes de lignes a été différée à la fermeture de leur "
    "connexion : fusionnés, ils sont réécrits ensemble et la table est vidée.",
    (Column("closed_at", "TIMESTAMP", "Fermeture de la connexion qui a écrit.", False),),
)

# ---------------------------------------------------------------------------------------------
# registry: every file delivered, and what became of it

FILES = Table(
    "registry",
    "files",
    "Registre des fichiers reçus : une ligne par contenu distinct, quel que soit son nom ou le "
    "nombre de livraisons, avec son statut et la raison en français.",
    (
        FILE_ID.but(nullable=False),
        Column(
            "kind",
            "VARCHAR",
            "Nature du fichier : dsn, bank (relevé ou retour bancaire), reference (paramétrage "
            "de contrat), portal (export du portail) ou unknown.",
            False,
        ),
        Column("size", "BIGINT", "Taille du fichier en octets.", False),
        Column("original_name", "VARCHAR", "Nom du fichier à sa première livraison.", False),
        Column(
            "landing_path",
            "VARCHAR",
            "Chemin de la première livraison, relatif au répertoire de dépôt.",
            False,
        ),
        Column("received_at", "TIMESTAMP", "Premier enregistrement de ce contenu.", False),
        Column(
            "status",
            "VARCHAR",
            "Statut : received (à traiter), loaded, loaded_with_diagnostics, quarantined, "
            "registered (lu par son domaine) ou ignored (disparu ou remplacé avant lecture).",
            False,
        ),
        Column("reason", "VARCHAR", "Pourquoi ce statut, en français, pour l'exploitant."),
        Column("encoding", "VARCHAR", "Encodage du fichier DSN détecté à la lecture."),
        Column("norm", "VARCHAR", "Version de norme DSN du fichier (S10.G00.00.006)."),
        Column("declarations", "INTEGER", "Nombre de déclarations lues dans le fichier."),
        Column("declarations_rejected", "INTEGER", "Nombre de déclarations rejetées."),
        Column("errors", "INTEGER", "Nombre de diagnostics bloquants."),
        Column("warnings", "INTEGER", "Nombre d'avertissements."),
        Column("rows_loaded", "BIGINT", "Lignes chargées dans les tables de staging."),
        Column("quarantine_path", "VARCHAR", "Copie du fichier en quarantaine, le cas échéant."),
        Column("processed_at", "TIMESTAMP", "Fin du traitement du fichier."),
    ),
    key=("file_id",),
)

_DELIVERY_PATH = Column(
    "landing_path", "VARCHAR", "Chemin livré, relatif au répertoire de dépôt.", False
)
DELIVERIES = Table(
    "registry",
    "deliveries",
    "Chaque livraison vue dans le répertoire de dépôt (chemin, contenu) : une seconde livraison "
    "d'un contenu connu est notée comme doublon et jamais rechargée.",
    (
        _DELIVERY_PATH,
        FILE_ID.but(nullable=False, comment="Contenu livré (registry.files)."),
        Column("size", "BIGINT", "Taille en octets.", False),
        Column("mtime", "DOUBLE", "Date de modification (secondes depuis 1970).", False),
        Column("seen_at", "TIMESTAMP", "Quand la livraison a été vue.", False),
        Column("is_duplicate", "BOOLEAN", "Vrai si ce contenu avait déjà été reçu.", False),
    ),
    key=("landing_path", "file_id"),
)

LANDING_STATUS = Table(
    "registry",
    "landing_status",
    "Pour chaque chemin livré, son statut final et la raison : la vue de l'exploitant.",
    (
        _DELIVERY_PATH.but(nullable=True),
        FILE_ID.but(comment="Contenu livré (registry.files)."),
        FILES.column("kind").but(nullable=True),
        Column(
            "status",
            "VARCHAR",
            "Statut du contenu, duplicate pour un doublon, ignored pour une entrée qui n'est pas "
            "un fichier à lire (registry.ignored_entries).",
        ),
        Column("reason", "VARCHAR", "Raison du statut, en français."),
        Column("seen_at", "TIMESTAMP", "Quand la livraison a été vue."),
    ),
    is_view=True,
)

IGNORED_ENTRIES = Table(
    "registry",
    "ignored_entries",
    "Entrées du répertoire de dépôt qui ne sont pas des fichiers à lire : liens symboliques "
    "(jamais suivis), fichiers spéciaux, envois cachés ou partiels, fichiers disparus ou "
    "illisibles ; chacune avec sa raison, rien n'échappe au registre.",
    (
        _DELIVERY_PATH.but(comment="Chemin de l'entrée, relatif au répertoire de dépôt."),
        Column(
            "entry_type",
            "VARCHAR",
            "Nature : symlink, special, hidden, partial, vanished ou unreadable.",
            False,
        ),
        Column("reason", "VARCHAR", "Pourquoi l'entrée est ignorée, en français.", False),
        Column("seen_at", "TIMESTAMP", "Dernière fois que l'entrée a été vue.", False),
    ),
    key=("landing_path",),
)

REJECTED_LINES = Table(
    "registry",
    "rejected_lines",
    "Lignes illisibles des fichiers de paramétrage et du portail au dernier chargement : "
    "conservées, jamais écartées en silence.",
    (
        Column(
            "source_file",
            "VARCHAR",
            "Fichier, relatif au répertoire de dépôt (reference/… ou portal/…).",
            False,
        ),
        Column("line_number", "INTEGER", "Numéro de ligne ; 0 : le fichier entier.", False),
        Column("error", "VARCHAR", "Pourquoi la ligne est rejetée, en français.", False),
    ),
)

REFERENCE_READS = Table(
    "registry",
    "reference_reads",
    "Ce que le dernier chargement des référentiels a lu de chaque fichier de paramétrage, du "
    "PMSS et du portail : un fichier inchangé, lu par le même code, n'est pas relu et ses "
    "lignes restent.",
    (
        Column(
            "landing_path",
            "VARCHAR",
            "Chemin du fichier, relatif au répertoire de dépôt (reference/… ou portal/…).",
            False,
        ),
        Column("size", "BIGINT", "Taille en octets à la lecture.", False),
        Column(
            "mtime", "DOUBLE", "Date de modification à la lecture (secondes depuis 1970).", False
        ),
        FILE_ID.but(nullable=False, comment="Empreinte SHA-256 du contenu lu."),
        Column(
            "contract_reference",
            "VARCHAR",
            "Contrat que porte la fiche de paramétrage ; vide : fiche rejetée ou autre fichier.",
        ),
        Column(
            "reader_version",
            "VARCHAR",
            "Empreinte du code de lecture : un autre code relit le fichier.",
            False,
        ),
    ),
    key=("landing_path",),
)


REGISTRY_TABLES: tuple[Table, ...] = (
    SCHEMA_MIGRATIONS,
    TABLE_COMMENTS,
    SCHEMA_STAMP,
    DEFERRED_MERGES,
    FILES,
    DELIVERIES,
    LANDING_STATUS,
    IGNORED_ENTRIES,
    REJECTED_LINES,
    REFERENCE_READS,
)
