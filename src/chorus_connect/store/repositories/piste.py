"""PISTE applications (OAuth2 client id + encrypted secret), possibly shared by several structures."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import select

from chorus_connect.store.enums import EnvironmentName
from chorus_connect.store.errors import DuplicateError, NotFoundError
from chorus_connect.store.models.structures import PisteApplication
from chorus_connect.store.repositories.base import Repository
from chorus_connect.store.validation import checker


@dataclass(kw_only=True)
class NewPisteApplication:
    name: str
    client_id: str
    client_secret: SecretStr | str
    environment: EnvironmentName | str | None = None  # default: the structure's environment
    token_url: str | None = None
    api_url: str | None = None


class PisteApplicationRepository(Repository):
    def add(self, new: NewPisteApplication) -> PisteApplication:
        check = checker("piste_application")
        name = check.required_text("name", new.name)
        environment = check.choice("environment", new.environment, EnvironmentName)
        if not new.environment:
            check.add("environment", "is required", "choose production, sandbox or local")
        client_id = check.required_text("client_id", new.client_id)
        secret = _plain(new.client_secret)
        if not secret.strip():
            check.add("client_secret", "is required", "copy the client secret of the PISTE application")
        token_url = check.url("token_url", new.token_url)
        api_url = check.url("api_url", new.api_url)
        check.raise_if_any()
        assert environment is not None
        existing = self.session.scalars(
            select(PisteApplication).where(
                (PisteApplication.name == name)
                | ((PisteApplication.environment == environment) & (PisteApplication.client_id == client_id))
            )
        ).first()
        if existing is not None:
            raise DuplicateError(
                f"A PISTE application named {existing.name!r} already has this name or client id "
                f"in {environment.value}.",
                fix=f"Reuse it (id {existing.id}) for this structure instead of declaring it again.",
            )
        application = PisteApplication(
            name=name,
            environment=environment,
            client_id=client_id,
            client_secret_encrypted=self.uow.encrypt(secret),
            token_url=token_url,
            api_url=api_url,
        )
        self.session.add(application)
        self.flush(lambda _e: DuplicateError(f"PISTE application {name!r} exists already.", fix="Reuse it."))
        return application

    def get(self, application_id: int) -> PisteApplication:
        application = self.session.get(PisteApplication, application_id)
        if application is None:
            raise NotFoundError("PISTE application", application_id)
        return application

    def list(self) -> list[PisteApplication]:
        return list(self.session.scalars(select(PisteApplication).order_by(PisteApplication.name)))

    def set_client_secret(self, application_id: int, client_secret: SecretStr | str) -> PisteApplication:
        application = self.get(application_id)
        secret = _plain(client_secret)
        if not secret.strip():
            check = checker("piste_application")
            check.add("client_secret", "is empty", "copy the client secret of the PISTE application")
            check.raise_if_any()
        application.client_secret_encrypted = self.uow.encrypt(secret)
        self.session.flush()
        return application

    def update(
        self,
        application_id: int,
        *,
        client_id: str | None = None,
        token_url: str | None = None,
        api_url: str | None = None,
    ) -> PisteApplication:
        """Change the client id or the URL overrides (an empty URL removes the override)."""
        application = self.get(application_id)
        check = checker("piste_application")
        new_client_id = check.required_text("client_id", client_id) if client_id is not None else None
        new_token_url = check.url("token_url", token_url) if token_url is not None else None
        new_api_url = check.url("api_url", api_url) if api_url is not None else None
        check.raise_if_any()
        if new_client_id is not None and new_client_id != application.client_id:
            clash = self.session.scalars(
                select(PisteApplication).where(
                    PisteApplication.environment == application.environment,
                    PisteApplication.client_id == new_client_id,
                    PisteApplication.id != application.id,
                )
            ).first()
            if clash is not None:
                raise DuplicateError(
                    f"PISTE application {clash.name!r} already has this client id.",
                    fix=f"Use that application (id {clash.id}) for the structure instead.",
                )
            application.client_id = new_client_id
        if token_url is not None:
            application.token_url = new_token_url
        if api_url is not None:
            application.api_url = new_api_url
        self.session.flush()
        return application

    def client_secret(self, application: PisteApplication) -> SecretStr:
        return self.uow.decrypt(
            application.client_secret_encrypted,
            what=f"the client secret of PISTE application {application.name!r}",
        )


def _plain(value: SecretStr | str | None) -> str:
    if value is None:
        return ""
    return value.get_secret_value() if isinstance(value, SecretStr) else value
