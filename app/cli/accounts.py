"""Command-line tools for the first accounts of a new installation.

`users create-bureau-admin EMAIL` and `units create NAME --code CODE --park NAME
--director EMAIL` print a temporary password once; after that, bureau administrators
onboard units at /bureau/units/new and directors add their staff in the settings.
"""

from __future__ import annotations

import click
from flask import Flask

from app.services.accounts.staff import Credential
from app.services.errors import DomainError


def _print_credential(credential: Credential) -> None:
    click.echo(f"login: {credential.email}")
    click.echo(f"temporary password (shown only now): {credential.temporary_password}")


def register_accounts(app: Flask) -> None:
    @app.cli.group("users")
    def users() -> None:
        """Bureau accounts."""

    @users.command("create-bureau-admin")
    @click.argument("email")
    @click.option("--name", default="", help="The name shown to others (default: the e-mail).")
    @click.option("--viewer", is_flag=True, help="A read-only bureau account instead.")
    def create_bureau_admin(email: str, name: str, viewer: bool) -> None:
        """Create a bureau administrator (or viewer) with a temporary password."""
        from app.services.accounts.onboarding import create_bureau_account

        try:
            credential = create_bureau_account(admin_id=None, email=email, name=name,
                                               role="viewer" if viewer else "admin")
        except DomainError as error:
            raise click.ClickException(str(error)) from None
        _print_credential(credential)

    @app.cli.group("units")
    def units() -> None:
        """Management units."""

    @units.command("create")
    @click.argument("name")
    @click.option("--code", required=True, help="2-8 capital letters or digits (RT).")
    @click.option("--name-en", default="", help="The unit's English name.")
    @click.option("--park", "parks", multiple=True, required=True,
                  help="A park: 'Chinese name' or 'Chinese name|English name' (repeatable).")
    @click.option("--director", "director_email", required=True,
                  help="The e-mail of the unit's first director (a new account).")
    @click.option("--director-name", default="", help="The director's name.")
    def create_unit(name: str, code: str, name_en: str, parks: tuple[str, ...],
                    director_email: str, director_name: str) -> None:
        """Create a unit with its parks and first director, who gets a temporary password."""
        from app.services.accounts.onboarding import onboard_unit, parse_park_lines

        try:
            onboarded = onboard_unit(
                admin_id=None, code=code, name_zh=name, name_en=name_en,
                parks=parse_park_lines("\n".join(parks)), director_email=director_email,
                director_name=director_name)
        except DomainError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"unit {code.strip().upper()} created with {len(onboarded.park_ids)} "
                   f"park(s)")
        _print_credential(onboarded.director)
