"""CertificationProcess: one (re)certification cycle of a programme, its certificate and status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ledger.domain.base import Fold, LedgerAggregate, evolve, record_id
from ledger.domain.body import check_slug
from ledger.errors import RuleViolationError

PROCESS_KINDS = ("certification", "recertification")
WORKSHOP_KINDS = ("strategy", "target_agreement", "balance", "annual")


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate with the dates printed on it; `ended_on` is set when expired or withdrawn."""

    valid_from: date
    valid_until: date | None
    ended_on: date | None = None
    withdrawn: bool = False

    def holds_on(self, day: date) -> bool:
        """Whether the certificate is valid on `day`."""
        if day < self.valid_from:
            return False
        if self.valid_until is not None and day > self.valid_until:
            return False
        return not (self.ended_on is not None and day >= self.ended_on)


@dataclass(frozen=True, slots=True)
class ProcessState:
    """A certification process as it stands at a date."""

    body: str = ""
    programme: str = ""
    cycle: str = ""
    kind: str = "certification"
    planned_from: date | None = None
    planned_until: date | None = None
    partner: str = ""
    resolution: str | None = None
    started_on: date | None = None
    contract_on: date | None = None
    auditor: str | None = None
    workshops: tuple[tuple[str, date], ...] = ()
    annual_reports: tuple[int, ...] = ()
    certificates: tuple[Certificate, ...] = ()
    completed_on: date | None = None
    abandoned_on: date | None = None

    @property
    def running(self) -> bool:
        """Started and neither completed nor abandoned."""
        return (
            self.started_on is not None and self.completed_on is None and self.abandoned_on is None
        )


class CertificationProcess(LedgerAggregate):
    """One cycle of a certification programme (e.g. audit-fgk, 2018) for a body."""

    KIND = "certification process"

    class Started(LedgerAggregate.Created):
        """The (re)certification process started, with its planned period and partner."""

        body: str
        programme: str
        cycle: str
        kind: str
        planned_from: date
        planned_until: date
        partner: str
        resolution: str | None

    class ContractConcluded(LedgerAggregate.Event):
        """The contract with the programme's association was concluded."""

        partner: str

    class AuditorAssigned(LedgerAggregate.Event):
        """The association assigned an auditor."""

        auditor: str

    class WorkshopHeld(LedgerAggregate.Event):
        """A workshop was held (strategy, target agreement, balance, annual)."""

        kind: str

    class AnnualReportSubmitted(LedgerAggregate.Event):
        """The annual progress report for `year` was submitted."""

        year: int

    class CertificateAwarded(LedgerAggregate.Event):
        """A certificate was awarded, with the dates printed on it (valid_until None: permanent)."""

        valid_from: date
        valid_until: date | None

    class CertificateExpired(LedgerAggregate.Event):
        """The certificate expired on `effective`."""

    class CertificateWithdrawn(LedgerAggregate.Event):
        """The certificate was withdrawn on `effective`."""

        reason: str

    class Completed(LedgerAggregate.Event):
        """The process was completed."""

    class Abandoned(LedgerAggregate.Event):
        """The process was abandoned."""

        reason: str

    @staticmethod
    def id_for(body: str, programme: str, cycle: str) -> UUID:
        """The id of cycle `cycle` of `programme` for `body`."""
        return record_id("process", body, programme, cycle)

    @classmethod
    def start(
        cls,
        *,
        body: str,
        programme: str,
        cycle: str,
        kind: str,
        planned_from: date,
        planned_until: date,
        partner: str,
        resolution: str | None,
        effective: date,
    ) -> CertificationProcess:
        """Starts a process; checks kind and planned period."""
        check_slug("programme", programme)
        check_slug("cycle", cycle)
        if kind not in PROCESS_KINDS:
            raise RuleViolationError("kind", f"must be one of {', '.join(PROCESS_KINDS)}")
        if planned_from > planned_until:
            raise RuleViolationError(
                "planned_until", f"{planned_until} is before planned_from {planned_from}"
            )
        return cls.created_by(
            cls.Started(
                **cls.creation_envelope(cls.id_for(body, programme, cycle)),
                body=body,
                programme=programme,
                cycle=cycle,
                kind=kind,
                planned_from=planned_from,
                planned_until=planned_until,
                partner=partner,
                resolution=resolution,
                effective=effective,
            )
        )

    def conclude_contract(self, partner: str, effective: date) -> None:
        """Records the contract."""
        fact = self.ContractConcluded(**self.envelope(), partner=partner, effective=effective)
        self.record_once(fact, check=lambda: self._check_running(effective))

    def assign_auditor(self, auditor: str, effective: date) -> None:
        """Records the auditor the association assigned."""
        if not auditor.strip():
            raise RuleViolationError("auditor", "must not be empty")
        fact = self.AuditorAssigned(**self.envelope(), auditor=auditor, effective=effective)
        self.record_once(fact, check=lambda: self._check_running(effective))

    def hold_workshop(self, kind: str, effective: date) -> None:
        """Records a workshop."""
        if kind not in WORKSHOP_KINDS:
            raise RuleViolationError("kind", f"must be one of {', '.join(WORKSHOP_KINDS)}")
        fact = self.WorkshopHeld(**self.envelope(), kind=kind, effective=effective)
        self.record_once(fact, check=lambda: self._check_started(effective))

    def submit_annual_report(self, year: int, effective: date) -> None:
        """Records the annual report for `year`."""
        if year > effective.year:
            raise RuleViolationError(
                "year", f"the report for {year} cannot be submitted on {effective}"
            )
        fact = self.AnnualReportSubmitted(**self.envelope(), year=year, effective=effective)
        self.record_once(fact, check=lambda: self._check_started(effective))

    def award_certificate(
        self, valid_from: date, valid_until: date | None, effective: date
    ) -> None:
        """Records a certificate with the dates printed on it."""
        _check_certificate(valid_from, valid_until)
        fact = self.CertificateAwarded(
            **self.envelope(), valid_from=valid_from, valid_until=valid_until, effective=effective
        )
        self.record_once(fact, check=lambda: self._check_started(effective))

    def expire_certificate(self, effective: date) -> None:
        """Records that the current certificate expired."""
        fact = self.CertificateExpired(**self.envelope(), effective=effective)
        self.record_once(fact, check=lambda: self._current_certificate(effective))

    def withdraw_certificate(self, reason: str, effective: date) -> None:
        """Records that the current certificate was withdrawn."""
        if not reason.strip():
            raise RuleViolationError("reason", "a withdrawal needs a reason")
        fact = self.CertificateWithdrawn(**self.envelope(), reason=reason, effective=effective)
        self.record_once(fact, check=lambda: self._current_certificate(effective))

    def complete(self, effective: date) -> None:
        """Records the completion of the process."""
        fact = self.Completed(**self.envelope(), effective=effective)
        self.record_once(fact, check=lambda: self._check_running(effective))

    def abandon(self, reason: str, effective: date) -> None:
        """Records that the process was abandoned."""
        if not reason.strip():
            raise RuleViolationError("reason", "an abandonment needs a reason")
        fact = self.Abandoned(**self.envelope(), reason=reason, effective=effective)
        self.record_once(fact, check=lambda: self._check_running(effective))

    def check_fact(self, fact: LedgerAggregate.Event) -> None:
        """A corrected certificate or period must still have from ≤ until."""
        if isinstance(fact, CertificationProcess.CertificateAwarded):
            _check_certificate(fact.valid_from, fact.valid_until)
        if (
            isinstance(fact, CertificationProcess.Started)
            and fact.planned_from > fact.planned_until
        ):
            raise RuleViolationError(
                "planned_until", f"{fact.planned_until} is before planned_from {fact.planned_from}"
            )

    def _check_started(self, effective: date) -> ProcessState:
        state = self.state_at(effective)
        if state.started_on is None:
            raise RuleViolationError(
                "effective",
                f"{effective} is before the process started ({self.state_at().started_on})",
            )
        return state

    def _check_running(self, effective: date) -> None:
        state = self._check_started(effective)
        if not state.running:
            ended = state.completed_on or state.abandoned_on
            raise RuleViolationError("process", f"the process ended on {ended}")

    def _current_certificate(self, effective: date) -> Certificate:
        state = self.state_at(effective)
        open_certificates = [c for c in state.certificates if c.ended_on is None]
        if not open_certificates:
            raise RuleViolationError(
                "process", f"no certificate of this process stands on {effective}"
            )
        return open_certificates[-1]

    def state_at(self, as_of: date | None = None) -> ProcessState:
        """The process at the end of `as_of`."""
        return self.fold(PROCESS, as_of)


def _check_certificate(valid_from: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_from > valid_until:
        raise RuleViolationError("valid_until", f"{valid_until} is before valid_from {valid_from}")


def _end_last(state: ProcessState, day: date, *, withdrawn: bool) -> ProcessState:
    certificates = list(state.certificates)
    for i in range(len(certificates) - 1, -1, -1):
        if certificates[i].ended_on is None:
            certificates[i] = evolve(certificates[i], ended_on=day, withdrawn=withdrawn)
            break
    return evolve(state, certificates=tuple(certificates))


def _step(state: ProcessState, fact: Any) -> ProcessState:
    match fact:
        case CertificationProcess.Started():
            return evolve(
                state,
                body=fact.body,
                programme=fact.programme,
                cycle=fact.cycle,
                kind=fact.kind,
                planned_from=fact.planned_from,
                planned_until=fact.planned_until,
                partner=fact.partner,
                resolution=fact.resolution,
                started_on=fact.effective,
            )
        case CertificationProcess.ContractConcluded():
            return evolve(state, contract_on=fact.effective, partner=fact.partner or state.partner)
        case CertificationProcess.AuditorAssigned():
            return evolve(state, auditor=fact.auditor)
        case CertificationProcess.WorkshopHeld():
            return evolve(state, workshops=(*state.workshops, (fact.kind, fact.effective)))
        case CertificationProcess.AnnualReportSubmitted():
            return evolve(state, annual_reports=(*state.annual_reports, fact.year))
        case CertificationProcess.CertificateAwarded():
            certificate = Certificate(fact.valid_from, fact.valid_until)
            return evolve(state, certificates=(*state.certificates, certificate))
        case CertificationProcess.CertificateExpired():
            return _end_last(state, fact.effective, withdrawn=False)
        case CertificationProcess.CertificateWithdrawn():
            return _end_last(state, fact.effective, withdrawn=True)
        case CertificationProcess.Completed():
            return evolve(state, completed_on=fact.effective)
        case CertificationProcess.Abandoned():
            return evolve(state, abandoned_on=fact.effective)
    return state


PROCESS = Fold(ProcessState(), _step)


def certification_status(
    processes: list[ProcessState], day: date
) -> tuple[str, Certificate | None]:
    """The status of a body on `day` from its processes (each as it stood on that day).

    certified (a certificate holds), else in_certification / in_recertification (a process
    runs), else lapsed (a certificate was held before), else not_certified.
    """
    holding = [c for p in processes for c in p.certificates if c.holds_on(day)]
    if holding:
        return "certified", max(holding, key=lambda c: c.valid_from)
    running = [p for p in processes if p.running and p.started_on and p.started_on <= day]
    if running:
        latest = max(running, key=lambda p: p.started_on or day)
        return (
            "in_recertification" if latest.kind == "recertification" else "in_certification"
        ), None
    held = [c for p in processes for c in p.certificates if c.valid_from <= day]
    if held:
        return "lapsed", None
    return "not_certified", None
