"""Web users, their structures, and API keys bound to structures (stored as SHA-256 only)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from pydantic import SecretStr
from sqlalchemy import select

from chorus_connect.store.enums import ApiKeyAccess, UserRole
from chorus_connect.store.errors import DuplicateError, InvalidInputError, NotFoundError
from chorus_connect.store.models.accounts import ApiKey, User
from chorus_connect.store.models.structures import Structure
from chorus_connect.store.repositories.base import Repository
from chorus_connect.store.validation import checker

API_KEY_PREFIX = "cck_"


class AccountRepository(Repository):
    def add_user(
        self,
        email: str,
        role: UserRole | str,
        *,
        display_name: str | None = None,
        password_hash: str | None = None,
    ) -> User:
        check = checker("user")
        address = check.email("email", email)
        if not address:
            check.add("email", "is required", "give the user's e-mail address")
        user_role = check.choice("role", role, UserRole)
        if not role:
            check.add("role", "is required", "choose administrator, accountant or read_only")
        check.raise_if_any()
        assert address is not None and user_role is not None
        if self.session.scalars(select(User).where(User.email == address.lower())).first() is not None:
            raise DuplicateError(f"A user with e-mail {address} exists already.", fix="Edit that user.")
        user = User(
            email=address.lower(), role=user_role, display_name=display_name, password_hash=password_hash
        )
        self.session.add(user)
        self.flush(lambda _e: DuplicateError(f"A user with e-mail {address} exists already.", fix="Edit it."))
        return user

    def get_user(self, key: int | str) -> User:
        user = (
            self.session.get(User, key)
            if isinstance(key, int)
            else self.session.scalars(select(User).where(User.email == key.strip().lower())).first()
        )
        if user is None:
            raise NotFoundError("user", key)
        return user

    def grant(self, user_id: int, structure_ids: Sequence[int]) -> User:
        user = self.get_user(user_id)
        for structure in self._structures(structure_ids):
            if structure not in user.structures:
                user.structures.append(structure)
        self.session.flush()
        return user

    def revoke(self, user_id: int, structure_ids: Sequence[int]) -> User:
        user = self.get_user(user_id)
        user.structures = [s for s in user.structures if s.id not in set(structure_ids)]
        self.session.flush()
        return user

    def structure_ids_of(self, user_id: int) -> list[int]:
        return sorted(structure.id for structure in self.get_user(user_id).structures)

    def list_users(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.email)))

    def update_user(
        self,
        user_id: int,
        *,
        role: UserRole | str | None = None,
        display_name: str | None = None,
        is_active: bool | None = None,
    ) -> User:
        user = self.get_user(user_id)
        check = checker("user")
        user_role = check.choice("role", role, UserRole) if role is not None else None
        name = check.optional_text("display_name", display_name) if display_name is not None else None
        check.raise_if_any()
        if user_role is not None:
            user.role = user_role
        if display_name is not None:
            user.display_name = name
        if is_active is not None:
            user.is_active = is_active
        self.session.flush()
        return user

    def set_password_hash(self, user_id: int, password_hash: str) -> User:
        """Keep a new password hash (computed by the web part) and when it changed."""
        user = self.get_user(user_id)
        user.password_hash = password_hash
        user.password_changed_at = self.uow.now()
        self.session.flush()
        return user

    def record_login(self, user_id: int) -> User:
        user = self.get_user(user_id)
        user.last_login_at = self.uow.now()
        self.session.flush()
        return user

    def list_api_keys(self, *, structure_ids: Sequence[int] | None = None) -> list[ApiKey]:
        """Every key, or the keys bound to at least one of ``structure_ids``."""
        keys = list(self.session.scalars(select(ApiKey).order_by(ApiKey.id)))
        if structure_ids is None:
            return keys
        wanted = set(structure_ids)
        return [key for key in keys if wanted & {structure.id for structure in key.structures}]

    def get_api_key(self, api_key_id: int) -> ApiKey:
        key = self.session.get(ApiKey, api_key_id)
        if key is None:
            raise NotFoundError("API key", api_key_id)
        return key

    def create_api_key(
        self,
        name: str,
        structure_ids: Sequence[int],
        *,
        user_id: int | None = None,
        access: ApiKeyAccess | str = ApiKeyAccess.READ_WRITE,
    ) -> tuple[ApiKey, SecretStr]:
        """A new key; its plaintext is returned once and never stored."""
        check = checker("api_key")
        label = check.required_text("name", name)
        if not structure_ids:
            check.add("structure_ids", "is empty", "bind the key to at least one structure")
        key_access = check.choice("access", access, ApiKeyAccess) or ApiKeyAccess.READ_WRITE
        check.raise_if_any()
        prefix = secrets.token_hex(6)
        plaintext = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        key = ApiKey(name=label, prefix=prefix, key_hash=_hash(plaintext), user_id=user_id, access=key_access)
        key.structures = self._structures(structure_ids)
        self.session.add(key)
        self.session.flush()
        return key, SecretStr(plaintext)

    def verify_api_key(self, plaintext: str | SecretStr) -> ApiKey | None:
        """The active key matching ``plaintext``, or None (constant-time comparison)."""
        value = plaintext.get_secret_value() if isinstance(plaintext, SecretStr) else plaintext
        if not value.startswith(API_KEY_PREFIX) or "_" not in value[len(API_KEY_PREFIX) :]:
            return None
        prefix = value[len(API_KEY_PREFIX) :].split("_", 1)[0]
        key = self.session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, _hash(value)):
            return None
        key.last_used_at = self.uow.now()
        return key

    def revoke_api_key(self, api_key_id: int) -> ApiKey:
        key = self.session.get(ApiKey, api_key_id)
        if key is None:
            raise NotFoundError("API key", api_key_id)
        key.revoked_at = self.uow.now()
        self.session.flush()
        return key

    def _structures(self, structure_ids: Sequence[int]) -> list[Structure]:
        found = list(self.session.scalars(select(Structure).where(Structure.id.in_(list(structure_ids)))))
        missing = sorted(set(structure_ids) - {structure.id for structure in found})
        if missing:
            raise InvalidInputError.single(
                "structure_ids", f"no structure with id {', '.join(map(str, missing))}", "list the structures"
            )
        return found


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()
