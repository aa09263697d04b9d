"""`dsnpipe apercu`: the portal preview (`serving.preview`) on the published snapshot, for the
insurer's staff to see what a company will see. Read-only; listens on localhost by default."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--serving",
        type=Path,
        required=True,
        metavar="FICHIER",
        help="fichier publié pour le portail (serving.duckdb à côté de l'entrepôt)",
    )
    parser.add_argument("--port", type=int, default=8765, help="port (défaut : %(default)s)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="adresse d'écoute (défaut : %(default)s)"
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from serving.preview import create_app

    if not args.serving.is_file():
        print(f"Aucune publication pour le portail : {args.serving} introuvable.")
        return 1
    print(f"Aperçu du portail : http://{args.host}:{args.port}/ (Ctrl-C pour arrêter)")
    uvicorn.run(create_app(args.serving), host=args.host, port=args.port, log_level="warning")
    return 0
