"""The store stage of a run, built once per run and shared by its attempts.

Kept apart from ``harness.attempt`` (which ``harness.stores`` imports) so that neither
imports the other at load time.
"""

from __future__ import annotations

from harness.attempt import StoreStage
from harness.config import RunConfig
from harness.outcomes import Backend, Verdict
from harness.profiles import Profile
from harness.scenarios import Scenario
from harness.storage.store import Store


def make_store_stage(store: Store, config: RunConfig, run_id: str) -> StoreStage | None:
    """One store-stage callable for a run, or None when store checks are off.

    Simulator runs skip it (demo apps are in no store, and a simulator run stays offline).
    """
    if not config.store_check or config.backend is Backend.SIM:
        return None
    from harness.stores.stage import check_store_stage
    from harness.stores.sweep import StoreClients

    clients = StoreClients()  # one rate limiter for all attempts of the run

    def stage(scenario: Scenario, profile: Profile, egress: str | None) -> Verdict | None:
        return check_store_stage(store, scenario, profile, run_id=run_id, clients=clients,
                                 egress_country=egress)

    return stage
