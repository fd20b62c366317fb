"""Encryption at rest of the stored secrets (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The key comes from, in this order: the ``secret_key`` given to :meth:`Store.open`, the ``CHORUS_SECRET_KEY``
environment variable, or the file named by ``CHORUS_SECRET_KEY_FILE``. Several keys may be given separated by
commas: the first encrypts, all decrypt — so during a rotation every process can run with ``new,old``.
Decrypted values are handed out as :class:`pydantic.SecretStr`, whose ``repr``/``str`` are masked.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from chorus_connect.store.errors import InvalidSecretKeyError, MissingSecretKeyError, WrongSecretKeyError

ENV_SECRET_KEY = "CHORUS_SECRET_KEY"
ENV_SECRET_KEY_FILE = "CHORUS_SECRET_KEY_FILE"
KEY_CHECK_PLAINTEXT = b"chorus-connect secret key check"

_HOW_TO_SET = (
    f"generate one with `chorus secrets generate-key` (or chorus_connect.store.generate_key()), keep a copy "
    f"somewhere safe (losing it means re-entering every secret), then either export "
    f"{ENV_SECRET_KEY}=<key> or write it to a file only you can read and export {ENV_SECRET_KEY_FILE}=<path>."
)


def generate_key() -> str:
    """A new random key (32 bytes, URL-safe base64, 44 characters)."""
    return Fernet.generate_key().decode("ascii")


def create_key_file(path: str | os.PathLike[str]) -> Path:
    """Write a new key to ``path`` (mode 0600), refusing to overwrite an existing file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(generate_key() + "\n")
    return target


def key_fingerprint(key: str) -> str:
    """A short, non-secret identifier of a key (to tell keys apart in messages), never the key itself."""
    return hashlib.sha256(b"chorus-connect key id:" + key.encode("ascii")).hexdigest()[:12]


def load_keys(
    secret_key: str | SecretStr | None = None, environ: Mapping[str, str] | None = None
) -> tuple[list[str], str]:
    """The keys to use and where they came from; raises :class:`MissingSecretKeyError` when there are none."""
    env = os.environ if environ is None else environ
    if secret_key is not None:
        raw = secret_key.get_secret_value() if isinstance(secret_key, SecretStr) else secret_key
        return _parse_keys(raw, "the secret_key argument"), "the secret_key argument"
    if env.get(ENV_SECRET_KEY, "").strip():
        return _parse_keys(env[ENV_SECRET_KEY], ENV_SECRET_KEY), ENV_SECRET_KEY
    key_file = env.get(ENV_SECRET_KEY_FILE, "").strip()
    if key_file:
        origin = f"{ENV_SECRET_KEY_FILE} ({key_file})"
        return _parse_keys(_read_key_file(Path(key_file), origin), origin), origin
    raise MissingSecretKeyError(
        f"{ENV_SECRET_KEY} is not set (nor {ENV_SECRET_KEY_FILE}): the store keeps the PISTE client secrets, "
        "technical passwords and webhook secrets encrypted and needs this key to write or read them.",
        fix=_HOW_TO_SET,
    )


def _read_key_file(path: Path, origin: str) -> str:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidSecretKeyError(
            f"The key file named by {origin} cannot be read ({type(error).__name__}).",
            fix=f"Point {ENV_SECRET_KEY_FILE} at a readable file holding the key on one line.",
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidSecretKeyError(
            f"The key file named by {origin} can be read by other users of this machine.",
            fix=f"Restrict it: chmod 600 {path}",
        )
    return text


def _parse_keys(raw: str, origin: str) -> list[str]:
    keys = [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]
    if not keys:
        raise MissingSecretKeyError(f"{origin} is empty.", fix=_HOW_TO_SET)
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            which = f"key #{position} of {origin}" if len(keys) > 1 else origin
            raise InvalidSecretKeyError(
                f"{which} is not a valid key: expected 44 characters of URL-safe base64 (32 random bytes).",
                fix=f"Use a key made by `chorus secrets generate-key`; {_HOW_TO_SET}",
            ) from None
    return keys


class SecretBox:
    """Encrypts and decrypts the store's secrets with the current key (first) and older ones (rest)."""

    def __init__(self, keys: Sequence[str], origin: str = "the given key") -> None:
        if not keys:
            raise MissingSecretKeyError("No secret key given.", fix=_HOW_TO_SET)
        self._keys = list(keys)
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])
        self.origin = origin

    @classmethod
    def from_environment(
        cls, secret_key: str | SecretStr | None = None, environ: Mapping[str, str] | None = None
    ) -> SecretBox:
        keys, origin = load_keys(secret_key, environ)
        return cls(keys, origin)

    @property
    def fingerprint(self) -> str:
        """Fingerprint of the key that encrypts (the first one)."""
        return key_fingerprint(self._keys[0])

    def __repr__(self) -> str:
        return f"SecretBox(key id {self.fingerprint}, {len(self._keys)} key(s) from {self.origin})"

    def encrypt(self, plaintext: str | SecretStr) -> str:
        value = plaintext.get_secret_value() if isinstance(plaintext, SecretStr) else plaintext
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, *, what: str = "a stored secret") -> SecretStr:
        try:
            return SecretStr(self._fernet.decrypt(token.encode("ascii")).decode("utf-8"))
        except (InvalidToken, UnicodeError):
            raise self.wrong_key_error(what) from None

    def can_decrypt(self, token: str) -> bool:
        try:
            self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def key_check_token(self) -> str:
        return self._fernet.encrypt(KEY_CHECK_PLAINTEXT).decode("ascii")

    def wrong_key_error(self, what: str, stored_fingerprint: str | None = None) -> WrongSecretKeyError:
        stored = f" (the store's key id is {stored_fingerprint})" if stored_fingerprint else ""
        return WrongSecretKeyError(
            f"The key from {self.origin} (key id {self.fingerprint}) cannot decrypt {what}: it is not "
            f"the key this store's secrets were encrypted with{stored}.",
            fix=f"Set {ENV_SECRET_KEY} (or {ENV_SECRET_KEY_FILE}) to the key used when the secrets were "
            "saved; while rotating, give both as 'new,old'. If that key is lost, the secrets cannot be "
            "recovered: enter them again (PISTE client secret, technical password, webhook secret) for "
            "each structure.",
        )
