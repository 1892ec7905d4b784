"""`flask categories evaluate FILE` and `flask categories train`: the category model."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Unit
from app.services.cases.classifier import (
    CategoryModel,
    evaluate,
    read_labelled_csv,
    starter_counts,
)
from app.services.cases.suggest import unit_model
from app.services.platform.jobs import run_job_now


def register_categories(app: Flask) -> None:
    @app.cli.group("categories")
    def categories() -> None:
        """Suggesting a case's category from its words."""

    @categories.command("evaluate")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--unit", "unit_code", default=None,
                  help="Evaluate this unit's model (starter + its own cases), not the starter.")
    def categories_evaluate(file: Path, unit_code: str | None) -> None:
        """Top-1 and top-3 accuracy on a CSV `text,category` (one labelled message a row)."""
        try:
            labelled = read_labelled_csv(file)
        except (ValueError, UnicodeDecodeError) as error:
            raise click.ClickException(
                f"{file}: not a UTF-8 CSV with the columns text,category ({error})") from None
        if unit_code:
            unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit_code.upper()))
            if unit_id is None:
                raise click.ClickException(f"no unit {unit_code}")
            model = unit_model(unit_id)
        else:
            model = CategoryModel(starter_counts())
        result = evaluate(model, labelled)
        click.echo(f"messages: {result.total}")
        click.echo(f"top-1 accuracy: {result.top1_accuracy:.3f} ({result.top1} of "
                   f"{result.total}: the first suggestion is the labelled category)")
        click.echo(f"top-3 accuracy: {result.top3_accuracy:.3f} ({result.top3} of "
                   f"{result.total}: the labelled category is among the first three)")
        if result.unknown:
            click.echo("categories the model does not know (always missed): "
                       + ", ".join(result.unknown))

    @categories.command("train")
    def categories_train() -> None:
        """Train each unit's model that is missing, stale or behind its cases, now."""
        trained = run_job_now("categories.train")
        click.echo(f"{trained} unit model(s) trained")
