"""The table of simulated operations: each handler declares its API family, path and nature."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chorus_connect.simulator.dataset import PisteApplication, Structure, TechnicalAccount

if TYPE_CHECKING:
    from chorus_connect.simulator.platform import Platform


@dataclass
class CallContext:
    """What a handler knows about the call: who makes it, when, and the platform it acts on."""

    platform: Platform
    now: dt.datetime
    application: PisteApplication
    account: TechnicalAccount

    @property
    def structures(self) -> list[Structure]:
        dataset = self.platform.state.dataset
        found = (dataset.structure(i) for i in self.account.structure_ids)
        return [s for s in found if s is not None]


Handler = Callable[[CallContext, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    name: str  # the Swagger nickname, e.g. deposerFluxFacture
    family: str  # PISTE API family, e.g. factures
    path: str  # below /cpro/<family>/v1
    method: str
    state_changing: bool
    handler: Handler

    @property
    def url_path(self) -> str:
        return f"/cpro/{self.family}/v1{self.path}"


OPERATIONS: dict[tuple[str, str], Operation] = {}


def operation(
    family: str, path: str, name: str, *, method: str = "POST", state_changing: bool = False
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        op = Operation(name, family, path, method, state_changing, handler)
        key = (method, op.url_path)
        if key in OPERATIONS:
            raise RuntimeError(f"operation registered twice: {method} {op.url_path}")
        OPERATIONS[key] = op
        return handler

    return register


def load_all_operations() -> dict[tuple[str, str], Operation]:
    """Import every family module so that their decorators fill the table."""
    from chorus_connect.simulator import operations  # noqa: F401  (imports register the handlers)

    return OPERATIONS
