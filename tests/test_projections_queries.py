"""The query functions: privacy, errors that name the parameter, both time axes, the trail."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.cli.record import demo_text, load_commands
from ledger.store import application_env, open_recorder
from projections.engine.errors import NotFoundError, QueryError
from projections.queries import (
    ReadModel,
    agreement,
    annual_report,
    annual_report_csv,
    budget,
    catch_up,
    certification,
    events,
    findings,
    get_body,
    get_process,
    get_resolution,
    head,
    list_bodies,
    list_processes,
    list_resolutions,
)
from projections.registry import Projector

BODY = "kyffhaeuserkreis"
PROCESS = "audit-fgk/2015"
SECRET = "2018/7/001"
PRIVATE_LINE = "01.4953.7188"

EXTRA = [
    {
        "record": "proposal",
        "body": BODY,
        "resolution": SECRET,
        "committee": "jugendhilfeausschuss",
        "title": "Personalangelegenheit Sozialplanung",
        "submitter": "Die Landrätin",
        "public": False,
        "effective": "2018-07-10",
    },
    {
        "record": "vote",
        "body": BODY,
        "resolution": SECRET,
        "committee": "jugendhilfeausschuss",
        "yes": 8,
        "no": 1,
        "abstentions": 0,
        "recused": 0,
        "effective": "2018-07-10",
    },
    {
        "record": "budget-line",
        "body": BODY,
        "year": 2018,
        "line": PRIVATE_LINE,
        "title": "Sozialplanung Personal",
        "effective": "2018-01-01",
    },
    {
        "record": "appropriation",
        "body": BODY,
        "year": 2018,
        "line": PRIVATE_LINE,
        "amount": "1000.00",
        "effective": "2018-01-01",
    },
    {
        "record": "supplementary",
        "body": BODY,
        "year": 2018,
        "line": PRIVATE_LINE,
        "kind": "ueberplanmaessig",
        "amount": "500,00",
        "resolution": SECRET,
        "effective": "2018-07-10",
    },
    {
        "record": "agreement-adopted",
        "body": BODY,
        "process": PROCESS,
        "resolution": SECRET,
        "effective": "2015-07-01",
    },
    {
        "record": "body",
        "body": "musterstadt",
        "name": "Musterstadt",
        "land": "Hessen",
        "effective": "2015-01-01",
    },
    {
        "record": "process",
        "body": "musterstadt",
        "process": "audit-fgk/2016",
        "kind": "certification",
        "planned_from": "2016-01-01",
        "planned_until": "2016-12-31",
        "partner": "Verein",
        "effective": "2016-01-01",
    },
    {
        "record": "certificate",
        "body": "musterstadt",
        "process": "audit-fgk/2016",
        "valid_from": "2016-06-01",
        "valid_until": "2017-12-31",
        "effective": "2016-06-01",
    },
    {
        "record": "process-completed",
        "body": "musterstadt",
        "process": "audit-fgk/2016",
        "effective": "2016-06-01",
    },
]


def _record(url: str, commands: list[dict[str, Any]]) -> list[int]:
    app = LedgerApplication(env=application_env(url))
    try:
        return app.record(commands)
    finally:
        app.close()


@pytest.fixture
def rm(store_url: str) -> Iterator[ReadModel]:
    """The demo plus a non-public resolution, an approval and an adoption on it, and a
    second body whose certificate has lapsed; caught up."""
    _record(store_url, load_commands(demo_text(), "demo") + EXTRA)
    model = ReadModel(store_url)
    try:
        catch_up(model)
        yield model
    finally:
        model.close()


def _resolutions(document: dict[str, Any]) -> dict[str, Any]:
    return {
        line["code"]: [a["resolution"] for a in line["supplementary"]] for line in document["lines"]
    }


def test_anonymous_budget_hides_the_reference_of_a_non_public_resolution(rm: ReadModel) -> None:
    assert _resolutions(budget(rm, BODY, 2018)) == {
        "01.4953.7187": ["2018/6/067"],
        PRIVATE_LINE: [None],
    }
    assert _resolutions(budget(rm, BODY, 2018, include_private=True))[PRIVATE_LINE] == [SECRET]


def test_budget_line_adds_approvals_to_the_appropriation(rm: ReadModel) -> None:
    (line,) = budget(rm, BODY, 2018, line=PRIVATE_LINE, as_of="2018-12-31")["lines"]
    assert (line["appropriation"], line["approved"], line["available"], line["remaining"]) == (
        "1000.00",
        "500.00",
        "1500.00",
        "1500.00",
    )
    (before,) = budget(rm, BODY, 2018, line=PRIVATE_LINE, as_of="2018-07-09")["lines"]
    assert (before["supplementary"], before["available"]) == ([], "1000.00")


def test_a_non_public_resolution_is_not_found_without_a_token(rm: ReadModel) -> None:
    with pytest.raises(NotFoundError, match=SECRET):
        get_resolution(rm, BODY, SECRET)
    with pytest.raises(NotFoundError, match="2099/1/001"):
        get_resolution(rm, BODY, "2099/1/001")
    private = get_resolution(rm, BODY, SECRET, include_private=True)
    assert (private["public"], private["status"], private["exists"]) == (False, "adopted", True)
    public = get_resolution(rm, BODY, "2018/6/067")
    assert public["votes"] == [
        {
            "committee": "jugendhilfeausschuss",
            "meeting_date": "2018-06-19",
            "yes": 9,
            "no": 0,
            "abstentions": 0,
            "recused": 0,
            "outcome": "adopted",
        }
    ]
    assert public["financial_effect"] == {
        "amount": "17655.00",
        "year": 2018,
        "line": "01.4953.7187",
    }


def test_resolution_list_filters_by_decision_date_and_committee(rm: ReadModel) -> None:
    def references(**kw: Any) -> list[str]:
        return [r["reference"] for r in list_resolutions(rm, BODY, **kw)["resolutions"]]

    assert references() == ["2018/6/067"]
    assert references(include_private=True) == ["2018/6/067", SECRET]
    assert references(include_private=True, date_from="2018-07-01") == [SECRET]
    assert references(include_private=True, date_to="2018-06-19") == ["2018/6/067"]
    assert references(committee="kreistag") == []
    with pytest.raises(QueryError) as bad:
        references(date_from="2018-07-01", date_to="2018-01-01")
    assert bad.value.parameter == "date_to"


def test_anonymous_callers_see_only_published_findings(rm: ReadModel) -> None:
    anonymous = findings(rm, BODY)["findings"]
    assert [f["number"] for f in anonymous] == [1]
    private = findings(rm, BODY, process=PROCESS, include_private=True)["findings"]
    assert [(f["number"], f["published"]) for f in private] == [(1, True), (2, False)]


def test_anonymous_agreement_hides_unpublished_findings_and_non_public_adoption(
    rm: ReadModel,
) -> None:
    def goal_findings(document: dict[str, Any]) -> list[int]:
        return [
            f["number"]
            for field in document["fields"]
            for goal in field["goals"]
            if goal["code"] == "Z6.1"
            for f in goal["findings"]
        ]

    anonymous = agreement(rm, BODY, PROCESS, as_of="2018-12-31")
    private = agreement(rm, BODY, PROCESS, as_of="2018-12-31", include_private=True)
    assert (anonymous["adopted_by"], goal_findings(anonymous)) == (None, [])
    assert (private["adopted_by"], goal_findings(private)) == (SECRET, [2])


def test_anonymous_trail_leaves_out_private_records_and_redacts_references(
    rm: ReadModel,
) -> None:
    everything = events(rm, limit=1000, include_private=True)["events"]
    assert len(everything) == rm.position() == 51
    anonymous = events(rm, limit=1000)["events"]
    keys = {(e["record"], e["key"]) for e in anonymous}
    assert ("Resolution", SECRET) not in keys
    assert ("Finding", f"{PROCESS}/2") not in keys
    assert len(anonymous) == 51 - 2 - 1  # proposal and vote of SECRET, finding 2
    approvals = [e for e in anonymous if e["type"] == "BudgetLine.SupplementaryApproved"]
    assert sorted(str(e["data"]["resolution"]) for e in approvals) == ["2018/6/067", "None"]
    (adoption,) = [e for e in anonymous if e["type"] == "TargetAgreement.Adopted"]
    assert adoption["data"]["resolution"] is None


def test_trail_pages_and_filters(rm: ReadModel) -> None:
    first = events(rm, limit=10)
    assert [e["position"] for e in first["events"]] == list(range(1, 11))
    second = events(rm, after=first["next_after"], limit=10)
    assert second["events"][0]["position"] == 11
    updates = events(rm, type="StatusUpdated", body=BODY, limit=100)["events"]
    assert len(updates) == 9
    assert {e["record"] for e in updates} == {"Measure"}
    first_update = updates[0]
    assert first_update["data"] == {
        "status": "in_progress",
        "progress": 30,
        "note": "Geschäftsordnung im Entwurf",
    }
    assert first_update["effective"] == "2015-09-30"
    assert first_update["key"] == f"{PROCESS}/M1.1.1"
    assert events(rm, body="musterstadt")["events"][0]["type"] == "Body.Registered"
    with pytest.raises(QueryError) as bad:
        events(rm, limit=0)
    assert bad.value.parameter == "limit"


def test_head_is_the_ledger_digest_at_the_read_model_position(
    rm: ReadModel, store_url: str
) -> None:
    recorder = open_recorder(store_url)
    try:
        digest = recorder.head()
    finally:
        recorder.close()
    assert digest is not None
    assert head(rm) == {"position": 51, "hash": digest.hash, "digest": str(digest)}


def test_unknown_things_are_not_found(rm: ReadModel) -> None:
    with pytest.raises(NotFoundError, match="nowhere"):
        certification(rm, "nowhere")
    with pytest.raises(NotFoundError, match="audit-fgk/1999"):
        agreement(rm, BODY, "audit-fgk/1999")
    with pytest.raises(NotFoundError, match=r"01\.0000\.0000"):
        budget(rm, BODY, 2018, line="01.0000.0000")
    with pytest.raises(NotFoundError):
        get_process(rm, BODY, "audit-fgk/1999")
    assert budget(rm, BODY, 2031)["lines"] == []


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda rm: certification(rm, BODY, as_of="31.12.2018"), "as_of"),
        (lambda rm: certification(rm, BODY, known_at="yesterday"), "known_at"),
        (lambda rm: budget(rm, BODY, "zwanzig18"), "year"),
        (lambda rm: budget(rm, BODY, 1492), "year"),
        (lambda rm: annual_report(rm, BODY, PROCESS, "x"), "year"),
        (lambda rm: events(rm, after=-1), "after"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(
    rm: ReadModel, call: Any, parameter: str
) -> None:
    with pytest.raises(QueryError) as bad:
        call(rm)
    assert bad.value.parameter == parameter
    assert parameter in str(bad.value)


def test_lapsed_after_the_certificate_ran_out_with_no_process_running(rm: ReadModel) -> None:
    assert certification(rm, "musterstadt", as_of="2017-12-31")["status"] == "certified"
    assert certification(rm, "musterstadt", as_of="2018-01-01")["status"] == "lapsed"
    assert certification(rm, "musterstadt", as_of="2016-03-01")["status"] == "in_certification"


def test_as_of_is_inclusive_and_a_known_at_date_means_the_end_of_that_day(
    rm: ReadModel,
) -> None:
    def status(as_of: str, known_at: Any = None) -> Any:
        document = agreement(rm, BODY, PROCESS, as_of=as_of, known_at=known_at)
        return [
            m["status"]
            for f in document["fields"]
            for g in f["goals"]
            for m in g["measures"]
            if m["code"] == "M1.1.1"
        ]

    assert status("2016-03-30") == ["in_progress"]
    assert status("2016-03-31") == ["completed"]  # the update effective that day counts
    today = datetime.now(UTC).date()
    end_of_today = agreement(rm, BODY, PROCESS, known_at=today)
    assert end_of_today["known_at"] == f"{today.isoformat()}T23:59:59.999999+00:00"
    assert status("2016-03-31", today - timedelta(days=1)) == []  # not recorded yet


def test_a_backdated_payment_changes_the_past_only_from_when_it_was_recorded(
    rm: ReadModel, store_url: str
) -> None:
    before = datetime.now(UTC)
    time.sleep(0.002)
    _record(
        store_url,
        [
            {
                "record": "payment",
                "body": BODY,
                "year": 2018,
                "line": "01.4953.7187",
                "amount": "8000.00",
                "reference": "KA-2018-77",
                "effective": "2018-08-15",
            }
        ],
    )
    catch_up(rm)

    def remaining(known_at: Any) -> str:
        (line,) = budget(
            rm, BODY, 2018, line="01.4953.7187", as_of="2018-12-31", known_at=known_at
        )["lines"]
        return str(line["remaining"])

    assert remaining(before) == "17655.00"
    assert remaining(None) == "9655.00"
    (august,) = budget(rm, BODY, 2018, line="01.4953.7187", as_of="2018-08-14")["lines"]
    assert august["payments"] == "0.00"


def test_annual_report_lists_every_measure_as_of_the_end_of_the_year(rm: ReadModel) -> None:
    report = annual_report(rm, BODY, PROCESS, 2017, include_private=True)
    assert report["as_of"] == "2017-12-31"
    assert report["columns"] == [
        "Handlungsfeld",
        "Ziel",
        "Maßnahme",
        "Verantwortlich",
        "Zeitraum",
        "Umsetzungsstand",
        "Bemerkung",
    ]
    by_measure = {row["Maßnahme"].split()[0]: row for row in report["rows"]}
    assert by_measure["M3.1.1"]["Umsetzungsstand"] == "verzögert (40 %)"
    assert by_measure["M6.1.1"]["Umsetzungsstand"] == "in Umsetzung (60 %)"  # corrected
    assert by_measure["M1.1.1"]["Handlungsfeld"] == "Steuerung, Vernetzung, Nachhaltigkeit"


def test_annual_report_csv_opens_in_a_spreadsheet(rm: ReadModel) -> None:
    text = annual_report_csv(rm, BODY, PROCESS, 2018)
    assert text.startswith("\ufeffHandlungsfeld;Ziel;Maßnahme;Verantwortlich;Zeitraum;")
    lines = text.removeprefix("\ufeff").splitlines()
    assert len(lines) == 4
    assert all(line.count(";") >= 6 for line in lines)
    assert text.endswith("\r\n")


def test_bodies_and_processes(rm: ReadModel) -> None:
    assert [b["slug"] for b in list_bodies(rm)["bodies"]] == ["kyffhaeuserkreis", "musterstadt"]
    body = get_body(rm, BODY)
    assert (body["name"], body["land"]) == ("Kyffhäuserkreis", "Thüringen")
    assert [c["committee"] for c in body["committees"]] == ["jugendhilfeausschuss"]
    assert [p["process"] for p in body["processes"]] == ["audit-fgk/2015", "audit-fgk/2018"]
    processes = list_processes(rm, BODY, as_of="2016-01-01")["processes"]
    assert [(p["process"], p["status"]) for p in processes] == [("audit-fgk/2015", "running")]
    process = get_process(rm, BODY, "audit-fgk/2018", as_of="2018-12-31")
    assert (process["kind"], process["auditor"] is not None, process["exists"]) == (
        "recertification",
        True,
        True,
    )
    assert get_process(rm, BODY, "audit-fgk/2018", as_of="2018-01-01")["exists"] is False


def test_a_read_model_with_nothing_projected_answers_empty(tmp_path: Any) -> None:
    empty = ReadModel(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert empty.position() == 0
        assert list_bodies(empty)["bodies"] == []
        assert events(empty)["events"] == []
        with pytest.raises(NotFoundError):
            certification(empty, BODY)
    finally:
        empty.close()


def test_catch_up_keeps_one_projector_with_the_read_model(rm: ReadModel) -> None:
    first = rm.projector
    assert first is not None
    assert catch_up(rm) == 51
    assert rm.projector is first
    with Projector(rm.url) as other:
        assert other.catch_up() == 51
