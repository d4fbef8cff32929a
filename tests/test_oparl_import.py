"""`ledger import oparl`: a council's OParl 1.1 served on loopback, imported into the ledger."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from oparl_support import Council, serve, standard

from ledger.application import LedgerApplication
from ledger.domain.committee import Committee
from ledger.domain.resolution import Resolution, ResolutionState
from ledger.importers.oparl.client import Settings
from ledger.importers.oparl.run import run_import
from ledger.store import application_env
from projections.queries import ReadModel, catch_up, get_resolution

BODY = "beispielstadt"
FAST = Settings(rate=0, backoff=0, retries=2, timeout=5)


@pytest.fixture
def council() -> Iterator[Council]:
    """An empty council served on loopback."""
    with serve() as served:
        yield served


@dataclass(frozen=True)
class Outcome:
    """A run's exit code and what it printed."""

    code: int
    out: str
    err: str


def run(url: str, store_url: str, **options: Any) -> Outcome:
    """One import into `store_url`; the exit code and output."""
    out, err = io.StringIO(), io.StringIO()
    code = run_import(url, BODY, database_url=store_url, settings=FAST, out=out, err=err, **options)
    return Outcome(code, out.getvalue(), err.getvalue())


def head(store_url: str) -> int:
    """The ledger's last position (0: empty)."""
    app = LedgerApplication(env=application_env(store_url))
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def resolution(store_url: str, reference: str) -> ResolutionState:
    """A resolution as it stands now."""
    app = LedgerApplication(env=application_env(store_url))
    try:
        record: object = app.repository.get(Resolution.id_for(BODY, reference))
        assert isinstance(record, Resolution)
        return record.state_at()
    finally:
        app.close()


def seats(store_url: str, committee: str, day: date) -> int:
    """A committee's voting seats on a date."""
    app = LedgerApplication(env=application_env(store_url))
    try:
        record: object = app.repository.get(Committee.id_for(BODY, committee))
        assert isinstance(record, Committee)
        return record.state_at(day).seats
    finally:
        app.close()


def test_first_import_records_committees_proposals_and_decisions(
    council: Council, store_url: str
) -> None:
    ids = standard(council)
    result = run(ids.system, store_url)
    assert result.code == 0, result.err
    adopted = resolution(store_url, "2018/6/067")
    assert adopted.title == "Förderung der Familienzentren"
    assert adopted.committee == "jugendhilfeausschuss"
    assert adopted.public is True
    [vote] = adopted.votes
    assert (vote.meeting_date, vote.outcome) == (date(2018, 6, 19), "adopted")
    assert (vote.yes, vote.no, vote.abstentions, vote.recused) == (9, 0, 0, 0)
    # seats: the 11 voting members current on the meeting date, not the 2 advisory ones
    assert seats(store_url, "jugendhilfeausschuss", date(2018, 6, 19)) == 11
    # the Kreisausschuss decides on 2018/9/002; the JHA's preliminary consultation is no vote
    kita = resolution(store_url, "2018/9/002")
    assert kita.committee == "kreisausschuss"
    assert [(v.committee, v.meeting_date, v.yes) for v in kita.votes] == [
        ("kreisausschuss", date(2018, 10, 1), 7)
    ]
    assert "1 preliminary consultation" in result.out
    # the KA has no memberships on the server: the report says so, the counts still fit
    assert "committee 'kreisausschuss'" in result.out and "no voting memberships" in result.out
    assert seats(store_url, "kreisausschuss", date(2018, 10, 1)) == 10
    # on the agenda without a result yet: proposed, not decided
    budget = resolution(store_url, "2018/10/003")
    assert (budget.status, budget.votes, budget.decisions) == ("proposed", (), ())


def test_decisions_without_all_counts_keep_what_is_stated(council: Council, store_url: str) -> None:
    ids = standard(council)
    assert run(ids.system, store_url).code == 0
    playground = resolution(store_url, "2018/6/068")
    stated = [
        (d.meeting_date, d.outcome, d.wording, d.yes, d.no, d.abstentions, d.recused)
        for d in playground.decisions
    ]
    assert stated == [
        (date(2018, 6, 19), "deferred", "vertagt", None, None, None, None),
        (date(2018, 9, 11), "rejected", "mehrheitlich abgelehnt", 4, 6, 1, None),
    ]
    assert playground.votes == ()
    [noted] = resolution(store_url, "2018/9/001").decisions
    assert (noted.outcome, noted.yes) == ("noted", None)


def test_a_second_run_appends_nothing(council: Council, store_url: str) -> None:
    ids = standard(council)
    assert run(ids.system, store_url).code == 0
    first = head(store_url)
    assert first > 0
    again = run(ids.system, store_url)
    assert again.code == 0 and "nothing new" in again.out
    everything = run(ids.system, store_url, since="2000-01-01")
    assert everything.code == 0 and "nothing new" in everything.out, everything.out
    assert head(store_url) == first


def test_a_later_run_reads_changes_since_the_last_sync(council: Council, store_url: str) -> None:
    ids = standard(council)
    assert run(ids.system, store_url).code == 0
    before = head(store_url)
    # the budget is adopted: the agenda item gets its result and a resolution file
    meeting = ids.m3
    [item] = [
        i
        for i in council.items[meeting]
        if "2018/10/003" in json.dumps(council.render(i))
        or council.objects[council.objects[i]["consultation"]]["paper"] == ids.papers["003"]
    ]
    tally = "Ja 8 Nein 1 Enthaltungen 1 befangen 0"
    council.touch(item, result="beschlossen", resolutionFile={
        "id": council.url("file", "budget"), "type": "https://schema.oparl.org/1.1/File",
        "accessUrl": council.url("file", "budget", "download"), "text": tally,
    })  # fmt: skip
    council.touch(meeting)
    council.requests.clear()
    later = run(ids.system, store_url)
    assert later.code == 0, later.err
    lists = [r for r in council.requests if r.split("?")[0].endswith(("papers", "meetings"))]
    assert lists and all("modified_since=" in r for r in lists)
    [vote] = resolution(store_url, "2018/10/003").votes
    assert (vote.yes, vote.no, vote.abstentions, vote.recused) == (8, 1, 1, 0)
    assert head(store_url) == before + 1


def test_a_deleted_agenda_item_retracts_its_vote(council: Council, store_url: str) -> None:
    ids = standard(council)
    assert run(ids.system, store_url).code == 0
    imported = datetime.now(UTC)
    council.unplace(ids.papers["067"], ids.m1)
    result = run(ids.system, store_url)
    assert result.code == 0, result.err
    assert "1 retraction" in result.out
    assert resolution(store_url, "2018/6/067").votes == ()
    # as known before the retraction, the vote is there; nothing was deleted
    catch_up(store_url)
    rm = ReadModel(store_url)
    try:
        then = get_resolution(rm, BODY, "2018/6/067", known_at=imported, include_private=True)
        known_now = get_resolution(rm, BODY, "2018/6/067", include_private=True)
    finally:
        rm.close()
    assert [v["yes"] for v in then["votes"]] == [9]
    assert known_now["votes"] == []
    assert run(ids.system, store_url, since="2000-01-01").code == 0
    assert resolution(store_url, "2018/6/067").votes == ()


def test_a_deleted_paper_retracts_what_was_imported_from_it(
    council: Council, store_url: str
) -> None:
    ids = standard(council)
    assert run(ids.system, store_url).code == 0
    council.delete(ids.papers["002"])
    result = run(ids.system, store_url)
    assert result.code == 0, result.err
    assert "deleted" in result.out
    assert resolution(store_url, "2018/9/002").votes == ()


def test_a_reference_that_answers_404_is_reported_and_skipped(
    council: Council, store_url: str
) -> None:
    ids = standard(council)
    paper = council.paper("p9", "2018/9/099", "Verkehrskonzept", "2018-09-05")
    consultation = council.add(
        "Consultation",
        "broken",
        paper=paper,
        agendaItem=council.url("agendaitem", "missing"),
        organization=[ids.jha],
        authoritative=True,
    )
    council.consultations[paper].append(consultation)
    refused = run(ids.system, store_url)
    assert refused.code == 2
    assert f"{consultation}: its agendaItem {council.url('agendaitem', 'missing')}" in refused.err
    assert "404" in refused.err and "nothing was recorded" in refused.err
    assert "Traceback" not in refused.err
    assert head(store_url) == 0
    skipped = run(ids.system, store_url, skip_bad=True)
    assert skipped.code == 0, skipped.err
    assert "skipped 1 bad object" in skipped.out and consultation in skipped.out
    assert resolution(store_url, "2018/6/067").votes


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"created": ""}, "the field 'created' must be a date-time"),
        ({"type": "https://schema.oparl.org/1.0/Paper"}, "is an OParl 1.0 object"),
        ({"reference": 2018}, "the field 'reference' must be a string"),
    ],
)
def test_objects_failing_the_schema_are_bad(
    council: Council, store_url: str, change: dict[str, Any], reason: str
) -> None:
    ids = standard(council)
    council.objects[ids.papers["001"]].update(change)
    refused = run(ids.system, store_url)
    assert refused.code == 2
    assert f"{ids.papers['001']}: Paper: {reason}" in refused.err, refused.err
    assert head(store_url) == 0
    skipped = run(ids.system, store_url, skip_bad=True)
    assert skipped.code == 0
    assert resolution(store_url, "2018/6/067").votes


def test_an_agenda_item_without_its_required_order_is_bad(council: Council, store_url: str) -> None:
    ids = standard(council)
    item = council.placed[(ids.papers["067"], ids.m1)]
    del council.objects[item]["order"]
    refused = run(ids.system, store_url)
    assert refused.code == 2
    assert f"{item}: AgendaItem: the required field 'order' is missing" in refused.err


def test_dry_run_records_nothing(council: Council, store_url: str) -> None:
    ids = standard(council)
    result = run(ids.system, store_url, dry_run=True)
    assert result.code == 0 and "dry run: nothing was recorded" in result.out
    assert head(store_url) == 0
    assert run(ids.system, store_url).code == 0  # no sync was remembered: all is read again
    assert resolution(store_url, "2018/6/067").votes


def test_a_server_that_fails_for_a_while_is_tried_again(council: Council, store_url: str) -> None:
    ids = standard(council)
    council.failures["/oparl/body/1/papers"] = [503, 502]
    result = run(ids.system, store_url)
    assert result.code == 0, result.err
    assert resolution(store_url, "2018/6/067").votes


def test_a_server_that_keeps_failing_stops_the_run(council: Council, store_url: str) -> None:
    ids = standard(council)
    council.failures["/oparl/body/1/papers"] = [503, 503, 503]
    result = run(ids.system, store_url)
    assert result.code == 2
    assert "the server answers 503 (3 tries)" in result.err
    assert "Traceback" not in result.err
    assert head(store_url) == 0


def test_a_folder_of_oparl_json_imports_like_the_server(
    council: Council, store_url: str, tmp_path: Path
) -> None:
    ids = standard(council)
    folder = tmp_path / "oparl"
    folder.mkdir()
    for n, identifier in enumerate(sorted(council.objects)):
        document = council.render(identifier)
        (folder / f"{n}.json").write_text(json.dumps(document), encoding="utf-8")
    result = run(folder.as_uri(), store_url, oparl_body=ids.body)
    assert result.code == 0, result.err
    [vote] = resolution(store_url, "2018/6/067").votes
    assert vote.yes == 9
    assert not council.requests  # nothing was asked of the server


def test_a_system_with_several_bodies_needs_oparl_body(council: Council, store_url: str) -> None:
    ids = standard(council)
    council.add("Body", "2", name="Nachbargemeinde", organization=council.url("none"),
                person=council.url("none"), meeting=council.url("none"),
                paper=council.url("none"), legislativeTerm=[])  # fmt: skip
    result = run(ids.system, store_url)
    assert result.code == 2 and "choose one with --oparl-body" in result.err
    assert run(ids.system, store_url, oparl_body=ids.body).code == 0


def test_an_oparl_1_0_system_is_refused(council: Council, store_url: str) -> None:
    ids = standard(council)
    council.objects[ids.system]["type"] = "https://schema.oparl.org/1.0/System"
    result = run(ids.system, store_url)
    assert result.code == 2
    assert "OParl 1.0 object" in result.err and "Traceback" not in result.err


def test_an_unreachable_server_is_one_line_and_leaves_no_store(tmp_path: Path) -> None:
    store = tmp_path / "ledger.db"
    result = run("http://127.0.0.1:9/oparl/system", f"sqlite:///{store}")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "cannot connect" in result.err
    assert not store.exists()


def test_without_authoritative_the_last_consultation_with_a_result_decides(
    council: Council, store_url: str
) -> None:
    ids = standard(council)
    paper = council.paper("p7", "2018/9/007", "Radwegekonzept", "2018-06-01")
    council.consult(paper, ids.m1, ids.jha, "vertagt", authoritative=None)
    council.consult(paper, ids.m2, ids.jha, "beschlossen", authoritative=None)
    assert run(ids.system, store_url).code == 0
    [decision] = resolution(store_url, "2018/9/007").decisions
    assert (decision.meeting_date, decision.outcome) == (date(2018, 9, 11), "adopted")


def test_counts_are_taken_from_file_text_only(council: Council, store_url: str) -> None:
    ids = standard(council)
    paper = council.paper("p7", "2018/9/007", "Radwegekonzept", "2018-06-01")
    council.consult(paper, ids.m2, ids.jha, "beschlossen (Ja 9, Nein 0, Enthaltungen 0)")
    assert run(ids.system, store_url).code == 0
    state = resolution(store_url, "2018/9/007")
    assert state.votes == ()
    [decision] = state.decisions
    assert (decision.outcome, decision.yes, decision.no) == ("adopted", None, None)
    assert decision.wording == "beschlossen (Ja 9, Nein 0, Enthaltungen 0)"


def test_a_non_public_agenda_item_makes_a_non_public_proposal(
    council: Council, store_url: str
) -> None:
    ids = standard(council)
    paper = council.paper("p7", "2018/9/007", "Grundstücksankauf", "2018-06-01")
    council.consult(paper, ids.m2, ids.jha, "beschlossen", public=False)
    assert run(ids.system, store_url).code == 0
    assert resolution(store_url, "2018/9/007").public is False
    assert resolution(store_url, "2018/6/067").public is True


def test_seats_follow_the_memberships_on_each_meeting_date(
    council: Council, store_url: str
) -> None:
    ids = standard(council)
    finance = council.organization("fa", "Finanzausschuss")
    council.members(finance, 9, "2014-06-01", "2019-05-31")
    council.members(finance, 7, "2019-06-01")
    old = council.meeting("f1", finance, "2018-11-20T17:00:00+01:00")
    new = council.meeting("f2", finance, "2019-11-19T17:00:00+01:00")
    for key, meeting, tally in (("f1", old, "Ja 8 Nein 1 Enthaltungen 0 befangen 0"),
                                ("f2", new, "Ja 6 Nein 1 Enthaltungen 0 befangen 0")):  # fmt: skip
        paper = council.paper(key, f"2018/11/{key}", f"Haushalt {key}", "2018-11-01")
        council.consult(paper, meeting, finance, "beschlossen", text=tally)
    assert run(ids.system, store_url).code == 0
    assert seats(store_url, "finanzausschuss", date(2018, 11, 20)) == 9
    assert seats(store_url, "finanzausschuss", date(2019, 11, 19)) == 7
    assert run(ids.system, store_url, since="2000-01-01").code == 0  # the seat change repeats
    assert "nothing new" in run(ids.system, store_url, since="2000-01-01").out


def test_counts_that_contradict_the_result_are_refused(council: Council, store_url: str) -> None:
    ids = standard(council)
    paper = council.paper("p7", "2018/9/007", "Radwegekonzept", "2018-06-01")
    consultation, _ = council.consult(
        paper, ids.m2, ids.jha, "beschlossen", text="Ja 2 Nein 9 Enthaltungen 0 befangen 0"
    )
    refused = run(ids.system, store_url)
    assert refused.code == 2
    assert f"{consultation}: refused by the ledger" in refused.err
    assert "majority rule" in refused.err
    assert head(store_url) == 0
