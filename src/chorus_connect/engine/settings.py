"""The engine's tunable delays and sizes, with the reasons for their defaults."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from chorus_connect.store import EnvironmentName

_LOCAL = EnvironmentName.LOCAL


@dataclass(frozen=True)
class EngineSettings:
    # Leases: a worker's hold on an invoice, batch or sync cursor; a dead worker's rows come back after it.
    # It must exceed the longest Chorus call (client timeout + retries), see `client_timeout`.
    lease: dt.timedelta = dt.timedelta(minutes=5)
    # How many queued invoices (or batches) one claim takes: fewer = fairer between workers, more = fewer
    # transactions.
    claim_size: int = 10
    # HTTP timeout of Chorus calls (seconds). Deposits are never resent after a timeout.
    client_timeout: float = 60.0
    # Settling an unknown deposit: after the first search that does NOT find the invoice (platform time
    # P0), it is declared "not deposited" only when a search made at or after P0 + settle_delay still does
    # not find it, because a flux being integrated is not yet visible in `rechercher/fournisseur`.
    # AIFE's example integrated in ~3 s and connectors see minutes; one hour leaves a wide margin on the
    # real platforms. The simulator integrates in a few simulated seconds (`--integration-delay`, 3 s).
    settle_delay: dt.timedelta = dt.timedelta(hours=1)
    settle_delay_local: dt.timedelta = dt.timedelta(seconds=30)
    # How soon (wall clock) an unsettled attempt is looked at again.
    resolution_retry: dt.timedelta = dt.timedelta(minutes=5)
    resolution_retry_local: dt.timedelta = dt.timedelta(seconds=1)
    # Back-off after a deposit that definitely failed for a transient reason (429, network): base × 2^(n-1).
    deposit_backoff: dt.timedelta = dt.timedelta(seconds=30)
    deposit_backoff_local: dt.timedelta = dt.timedelta(seconds=1)
    deposit_backoff_max: dt.timedelta = dt.timedelta(hours=1)
    # An unexpected error on one item (a bug, the store briefly unavailable): it is put back for later.
    error_backoff: dt.timedelta = dt.timedelta(seconds=30)
    # Tracking: how often a structure is synced, the page size of the status search (one call per page),
    # and how far before the cursor each search starts again (a status stamped just before a commit may
    # show up a little late on the platform; re-reading is idempotent).
    sync_interval: dt.timedelta = dt.timedelta(minutes=5)
    search_page_size: int = 500
    cursor_overlap: dt.timedelta = dt.timedelta(minutes=10)
    cursor_overlap_local: dt.timedelta = dt.timedelta(0)
    # A deposited invoice the status search does not show yet is still being integrated (or was refused):
    # its deposit report (`consulterCRDetaille`) is read only once the flux is this old, so the usual
    # integration (seconds) costs no call at all; refusals and slow fluxes are read after it.
    flux_report_delay: dt.timedelta = dt.timedelta(minutes=2)
    flux_report_delay_local: dt.timedelta = dt.timedelta(0)
    # Fetch `consulter/historique` for a change whose search line carries no comment, when the new status
    # is one whose motif matters (suspension, rejection, recycling).
    history_for_motifs: bool = True
    # Recipient directory cache (structures, services, engagements), seconds.
    directory_ttl: float = 3600.0

    def settle(self, environment: EnvironmentName) -> dt.timedelta:
        return self.settle_delay_local if environment == _LOCAL else self.settle_delay

    def retry_resolution(self, environment: EnvironmentName) -> dt.timedelta:
        return self.resolution_retry_local if environment == _LOCAL else self.resolution_retry

    def report_delay(self, environment: EnvironmentName) -> dt.timedelta:
        return self.flux_report_delay_local if environment == _LOCAL else self.flux_report_delay

    def overlap(self, environment: EnvironmentName) -> dt.timedelta:
        return self.cursor_overlap_local if environment == _LOCAL else self.cursor_overlap

    def backoff(self, environment: EnvironmentName, failures: int) -> dt.timedelta:
        base = self.deposit_backoff_local if environment == _LOCAL else self.deposit_backoff
        return min(self.deposit_backoff_max, base * (2 ** max(0, failures - 1)))

    def with_changes(self, **changes: object) -> EngineSettings:
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_SETTINGS = EngineSettings()
