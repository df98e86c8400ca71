"""Whether an app missing from one country's store is missing from the store everywhere.

A store's "not offered in XX" cannot tell alone whether the app was withheld from that
country or is absent from the store altogether (delisted, never published there). The
resolver asks the store's *reference storefronts*, in order:

- Google Play: ``US``, then ``GB`` (Play does not operate in mainland China);
- App Store: ``CN``, the home storefront of the catalog's apps (Chinese apps are sold
  there first), then ``US``.

A reference equal to the country being resolved is skipped (its own answer is the
absence). The scope of the absence is then

- ``in_country`` as soon as one reference storefront offers the app;
- ``everywhere`` when every reference answered conclusively that it does not offer it;
- ``unknown`` otherwise: no reference offers it and at least one reference check failed.
  The scope is never guessed.

Answers are cached for the life of the resolver (one run, one sweep, one process), so a
sweep that finds an app absent in a hundred countries asks each reference storefront
once, not a hundred times. Conclusive answers are kept for that life; a failed reference
check is asked again only after ``failure_ttl`` seconds (15 minutes by default), so a
long run can recover without hammering a store that refuses. Concurrent callers needing
the same reference storefront wait for one request (a lock per store and storefront),
and a sweep announces its own checks of reference storefronts (:meth:`in_flight`): a
caller that needs one of them while it is being made waits for it instead of asking
again. (Waiting only on checks already under way cannot deadlock: they wait on nothing.)

Reference checks go through the same clients as every check (rate limits, retries,
evidence), through the reference country's vantage point when the caller knows one
(``proxy_for``), else directly, and the caller stores them in ``store_checks`` with
``reference = true``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from harness.stores.model import (
    CheckResult,
    StoreName,
    StoreObservation,
    StoreScope,
    StoreTarget,
)
from harness.stores.ratelimit import Clock

if TYPE_CHECKING:
    from harness.stores.clients import StoreClients

#: The reference storefronts of each store, in the order they are asked.
REFERENCE_STOREFRONTS: Mapping[StoreName, tuple[str, ...]] = MappingProxyType({
    StoreName.PLAY: ("US", "GB"),
    StoreName.APPLE: ("CN", "US"),
})

#: Seconds after which a failed reference check may be asked again.
DEFAULT_FAILURE_TTL = 900.0

ProxyFor = Callable[[str], "str | None"]


@dataclass(frozen=True)
class _Answer:
    """A reference storefront's answer for one app, as cached."""

    result: CheckResult
    signal: str
    failure: str | None
    checked: str
    at: float

    def describe(self) -> str:
        what = self.result.value + (f" {self.failure}" if self.failure else "")
        return f"{what} ({self.signal}, {self.checked})"


def _direct(_country: str) -> str | None:
    return None


class ScopeResolver:
    """Decides the scope of store absences from the reference storefronts (see module)."""

    def __init__(self, clients: StoreClients, *,
                 references: Mapping[StoreName, Sequence[str]] = REFERENCE_STOREFRONTS,
                 proxy_for: ProxyFor | None = None,
                 failure_ttl: float = DEFAULT_FAILURE_TTL,
                 clock: Clock = time.monotonic) -> None:
        self.clients = clients
        self._refs = {s: tuple(c.upper() for c in references.get(s, ())) for s in StoreName}
        self._proxy_for = proxy_for or _direct
        self.failure_ttl = failure_ttl
        self._clock = clock
        self._cache: dict[tuple[StoreName, str, str], _Answer] = {}
        self._lock = threading.Lock()
        self._storefront_locks: dict[tuple[StoreName, str], threading.Lock] = {}
        self._in_flight: dict[tuple[StoreName, str, str], threading.Event] = {}
        self.reference_checks = 0
        """Reference checks made so far (each is one stored observation)."""

    def references(self, store: StoreName, country: str) -> tuple[str, ...]:
        """The reference storefronts that can tell ``country``'s absence's scope."""
        return tuple(c for c in self._refs[store] if c != country.upper())

    def is_reference(self, store: StoreName, country: str) -> bool:
        return country.upper() in self._refs[store]

    def rank(self, store: StoreName, country: str) -> int:
        """Where ``country`` comes in ``store``'s references (after them all if it is
        none): the order in which a sweep should check storefronts."""
        refs = self._refs[store]
        country = country.upper()
        return refs.index(country) if country in refs else len(refs)

    # ------------------------------------------------------------------ cache

    def offer(self, observations: Iterable[StoreObservation]) -> None:
        """Keep what ``observations`` say about reference storefronts (a sweep's own
        checks of US or CN), so that no request repeats them."""
        now = self._clock()
        with self._lock:
            for o in observations:
                if self.is_reference(o.store, o.country):
                    self._cache[(o.store, o.store_app_id, o.country)] = self._answer(o, now)

    @staticmethod
    def _answer(o: StoreObservation, now: float) -> _Answer:
        return _Answer(o.result, o.signal, o.failure.value if o.failure else None,
                       f"{o.checked_at:%Y-%m-%d %H:%M} UTC", now)

    @contextlib.contextmanager
    def in_flight(self, store: StoreName, country: str, store_app_ids: Iterable[str]
                  ) -> Iterator[None]:
        """Announce checks of ``store_app_ids`` in ``country`` being made now (by a sweep
        unit), so that :meth:`resolve` waits for them rather than asking again. Call
        :meth:`offer` with their observations inside the block."""
        country = country.upper()
        keys = ([(store, sid, country) for sid in store_app_ids]
                if self.is_reference(store, country) else [])
        event = threading.Event()
        with self._lock:
            for key in keys:
                self._in_flight.setdefault(key, event)
        try:
            yield
        finally:
            with self._lock:
                for key in keys:
                    if self._in_flight.get(key) is event:
                        del self._in_flight[key]
            event.set()

    def _cached(self, key: tuple[StoreName, str, str], now: float) -> _Answer | None:
        answer = self._cache.get(key)
        if answer is None:
            return None
        if answer.result is CheckResult.FAILURE and now - answer.at >= self.failure_ttl:
            return None
        return answer

    def _storefront_lock(self, store: StoreName, country: str) -> threading.Lock:
        with self._lock:
            return self._storefront_locks.setdefault((store, country), threading.Lock())

    def _ask(self, store: StoreName, country: str, targets: Sequence[StoreTarget],
             made: list[StoreObservation]) -> dict[str, _Answer]:
        """The answers of one reference storefront for ``targets``, asking only for the
        ones not cached (one lookup for every Apple id, one page per Play app)."""
        out: dict[str, _Answer] = {}
        with self._storefront_lock(store, country):
            missing, waits = self._lookup(store, country, targets, out)
            if waits:  # a sweep unit is checking them right now: its answers will do
                for event in waits:
                    event.wait()
                missing, _ = self._lookup(store, country, missing, out)
            if missing:
                proxy = self._proxy_for(country)
                if store is StoreName.APPLE:
                    fresh = self.clients.apple.check(missing, country, proxy=proxy)
                else:
                    fresh = [o for t in missing
                             if (o := self.clients.play.check(t, country, proxy=proxy))
                             is not None]
                fresh = [replace(o, reference=True) for o in fresh]
                made.extend(fresh)
                now = self._clock()
                with self._lock:
                    self.reference_checks += len(fresh)
                    for o in fresh:
                        answer = self._answer(o, now)
                        self._cache[(store, o.store_app_id, country)] = answer
                        out[o.store_app_id] = answer
        return out

    def _lookup(self, store: StoreName, country: str, targets: Sequence[StoreTarget],
                out: dict[str, _Answer]) -> tuple[list[StoreTarget], list[threading.Event]]:
        """Fill ``out`` from the cache; the targets not in it, and the in-flight checks
        among those to wait for."""
        now = self._clock()
        missing: list[StoreTarget] = []
        waits: dict[int, threading.Event] = {}
        with self._lock:
            for t in targets:
                sid = str(t.store_app_id(store))
                answer = self._cached((store, sid, country), now)
                if answer is not None:
                    out[sid] = answer
                    continue
                missing.append(t)
                event = self._in_flight.get((store, sid, country))
                if event is not None:
                    waits[id(event)] = event
        return missing, list(waits.values())

    # ------------------------------------------------------------------ resolving

    def resolve(self, observations: Sequence[StoreObservation]) -> list[StoreObservation]:
        """``observations`` with the scope set on every ``unavailable`` one, followed by
        the reference checks made for them (``reference=True``; store them too). A
        reference check that found the app absent gets its scope too, from the other
        references' answers (already asked: no further request)."""
        scoped, made = self._resolve(observations)
        refs, more = self._resolve(made)
        return scoped + refs + more

    def _resolve(self, observations: Sequence[StoreObservation]
                 ) -> tuple[list[StoreObservation], list[StoreObservation]]:
        self.offer(observations)
        out = list(observations)
        pending = {i: list(self.references(o.store, o.country))
                   for i, o in enumerate(out)
                   if o.result is CheckResult.UNAVAILABLE and o.scope is None}
        seen: dict[int, list[tuple[str, _Answer | None]]] = {i: [] for i in pending}
        made: list[StoreObservation] = []
        while pending:
            # one reference storefront at a time, every absence that still needs it at once
            groups: dict[tuple[StoreName, str], list[int]] = {}
            for i, refs in pending.items():
                if refs:
                    groups.setdefault((out[i].store, refs.pop(0)), []).append(i)
            for (store, country), items in groups.items():
                targets = [_target(out[i]) for i in items]
                answers = self._ask(store, country, targets, made)
                for i in items:
                    seen[i].append((country, answers.get(out[i].store_app_id)))
            for i in list(pending):
                said = seen[i]
                if any(a is not None and a.result is CheckResult.AVAILABLE for _, a in said):
                    scope: StoreScope | None = StoreScope.IN_COUNTRY
                elif pending[i]:
                    continue  # another reference may still offer it
                elif said and all(a is not None and a.result is CheckResult.UNAVAILABLE
                                  for _, a in said):
                    scope = StoreScope.EVERYWHERE
                else:
                    scope = StoreScope.UNKNOWN
                del pending[i]
                out[i] = replace(out[i], scope=scope,
                                 scope_detail=_scope_detail(out[i].store, said))
        return out, made


def _target(o: StoreObservation) -> StoreTarget:
    if o.store is StoreName.APPLE:
        return StoreTarget(o.app_id, apple_id=int(o.store_app_id))
    return StoreTarget(o.app_id, android_package=o.store_app_id)


def _scope_detail(store: StoreName, said: Sequence[tuple[str, _Answer | None]]) -> str:
    if not said:
        return "no reference storefront can tell (the country is the only one)"
    parts = [f"{store.value} {country}: {a.describe() if a else 'not checked'}"
             for country, a in said]
    return "reference storefronts: " + "; ".join(parts)
