"""GET /metrics: the ledger's positions and lag, a stuck projector, events by record kind,
request latency by route template, and the same answers from every `ledger serve` worker."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from api_support import BODY, TestClient, record, record_demo
from fastapi import APIRouter, FastAPI
from operations_support import endpoints, samples, serve_env, serving, value
from prometheus_client import generate_latest
from test_api_serve import free_port, position_reached, wait_for

from api import metrics, workers
from api.app import create_app
from api.cli import MULTIPROC_VAR, shared_metrics
from api.tokens import hash_token
from ledger.cli import main
from ledger.cli.record import demo_text, load_commands
from ledger.store import ChainedEvent, open_recorder
from projections.engine.records import Records
from projections.queries import ReadModel, catch_up
from projections.registry import Projector

ROUTE = "/v1/bodies/{body}/certification"
LATENCY = "ledger_http_request_duration_seconds"


@contextmanager
def client(url: str) -> Iterator[TestClient]:
    """A TestClient on the API over `url` (no projector inside)."""
    read_model = ReadModel(url)
    try:
        app = create_app(read_model, tokens=[hash_token("t")])
        with TestClient(app) as opened:
            yield opened
    finally:
        read_model.close()


def scrape(c: TestClient) -> str:
    response = c.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return str(response.text)


def requests_of(text: str, route: str, status: str) -> float:
    return value(text, f"{LATENCY}_count", method="GET", route=route, status=status) or 0.0


def workshops(first: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "record": "workshop",
            "body": BODY,
            "process": "audit-fgk/2018",
            "kind": "strategy",
            "effective": f"2018-09-{day:02d}",
        }
        for day in range(first, first + count)
    ]


def topics_after(url: str, position: int) -> list[str]:
    """The record kinds (the domain class before the event's name) of the events after
    `position`, from the ledger itself."""
    recorder = open_recorder(url)
    try:
        chained: Sequence[ChainedEvent] = recorder.select_chained(position + 1, 1000)
    finally:
        recorder.close()
    return [c.topic.rpartition(":")[2].partition(".")[0] for c in chained]


def test_latency_is_labelled_by_route_template_and_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)
    with client(url) as c:
        before = scrape(c)
        for _ in range(3):
            assert c.get(f"/v1/bodies/{BODY}/certification").status_code == 200
        assert c.get("/v1/bodies/nobody").status_code == 404
        assert c.get("/no/such/page").status_code == 404
        after = scrape(c)
    assert requests_of(after, ROUTE, "200") - requests_of(before, ROUTE, "200") == 3
    assert (
        requests_of(after, "/v1/bodies/{body}", "404")
        - requests_of(before, "/v1/bodies/{body}", "404")
        == 1
    )
    assert (
        requests_of(after, metrics.UNMATCHED, "404") - requests_of(before, metrics.UNMATCHED, "404")
        == 1
    )
    buckets = [
        labels
        for (name, labels) in samples(after)
        if name == f"{LATENCY}_bucket" and ("route", ROUTE) in labels
    ]
    assert buckets
    # Never the filled-in path: a label per body (or per made-up path) would grow forever.
    assert BODY not in after
    assert "/no/such/page" not in after


def test_a_prefixed_router_is_labelled_with_its_whole_template() -> None:
    inner = APIRouter()

    @inner.get("/items/{item}")
    def item(item: str) -> dict[str, str]:
        return {"item": item}

    outer = APIRouter(prefix="/outer")
    outer.include_router(inner, prefix="/inner")
    app = FastAPI()
    app.include_router(outer, prefix="/v9")
    metrics.instrument(app)
    template = "/v9/outer/inner/items/{item}"
    with TestClient(app) as c:
        assert c.get("/v9/outer/inner/items/7").status_code == 200
    text = generate_latest().decode()
    assert value(text, f"{LATENCY}_count", method="GET", route=template, status="200") == 1
    assert "/items/{item}" not in text.replace(template, "")


def test_an_unknown_method_is_labelled_other(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)
    with client(url) as c:
        c.request("BREW", "/healthz")
        text = scrape(c)
    assert "BREW" not in text
    assert value(text, f"{LATENCY}_count", method="other", route="/healthz", status="405")


def test_positions_lag_and_events_by_record_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)
    recorder = open_recorder(url)
    try:
        digest = recorder.head()
    finally:
        recorder.close()
    assert digest is not None
    head = digest.position
    with client(url) as c:
        text = scrape(c)
        assert value(text, "ledger_store_up") == 1
        assert value(text, "ledger_head_position") == head
        assert value(text, "ledger_read_model_position") == head
        assert value(text, "ledger_projection_lag_events") == 0
        assert value(text, "ledger_projector_stuck") == 0
        counted = {
            dict(labels)["record"]: n
            for (name, labels), n in samples(text).items()
            if name == "ledger_events_appended_total"
        }
        kinds = topics_after(url, 0)
        assert counted == {kind: kinds.count(kind) for kind in set(kinds)}

        # `ledger record` appends; the lag shows until the read model catches up.
        commands = tmp_path / "more.yaml"
        commands.write_text(yaml.safe_dump(workshops(1, 3)), encoding="utf-8")
        monkeypatch.setenv("LEDGER_DATABASE_URL", url)
        assert main(["record", str(commands)]) == 0
        new = topics_after(url, head)
        assert len(new) == 3
        text = scrape(c)
        assert value(text, "ledger_head_position") == head + 3
        assert value(text, "ledger_read_model_position") == head
        assert value(text, "ledger_projection_lag_events") == 3
        catch_up(url)
        text = scrape(c)
        assert value(text, "ledger_projection_lag_events") == 0
        for kind in set(kinds) | set(new):
            expected = kinds.count(kind) + new.count(kind)
            assert value(text, "ledger_events_appended_total", record=kind) == expected


def test_a_stuck_projector_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    fold = Records.fold

    def failing(self: Records, conn: Any, *rest: Any) -> Any:
        chained: Sequence[ChainedEvent] = rest[3]
        if any(c.position == 7 for c in chained):
            raise OverflowError("too large")
        return fold(self, conn, *rest)

    monkeypatch.setattr(Records, "fold", failing)
    with Projector(url, workers=0) as projector:
        with pytest.raises(Exception, match="position 7"):
            projector.catch_up()
        with client(url) as c:
            text = scrape(c)
            assert value(text, "ledger_projector_stuck") == 1
            assert value(text, "ledger_projector_failing_position") == 7
            assert value(text, "ledger_read_model_position") == 6
            monkeypatch.undo()
            projector.catch_up()
            text = scrape(c)
            assert value(text, "ledger_projector_stuck") == 0
            assert value(text, "ledger_projector_failing_position") is None


def test_projector_batches_are_timed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    with client(url) as c:
        before = value(scrape(c), "ledger_projector_batch_duration_seconds_count") or 0
        with Projector(url, batch_size=10, workers=0) as projector:
            projector.catch_up()
        after = value(scrape(c), "ledger_projector_batch_duration_seconds_count")
    assert after == before + 5  # 41 events in batches of 10


def test_an_unreachable_store_says_store_up_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)
    with client(url) as c:
        app: Any = c.app
        app.state.read_model.view = _broken
        text = scrape(c)
    assert value(text, "ledger_store_up") == 0
    assert value(text, "ledger_read_model_position") is None


def _broken() -> Any:
    raise ConnectionError("the store is gone")


def test_serve_with_several_workers_shares_a_metrics_folder_it_removes() -> None:
    with shared_metrics(2):
        folder = os.environ[MULTIPROC_VAR]
        assert Path(folder).is_dir()
    assert MULTIPROC_VAR not in os.environ
    assert not Path(folder).exists()
    with shared_metrics(1):
        assert MULTIPROC_VAR not in os.environ


@pytest.mark.slow
@pytest.mark.skipif(not workers.supported(), reason="SO_REUSEPORT spreading is Linux's")
def test_every_worker_answers_for_all_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = serve_env(tmp_path, url, LEDGER_LOG_FORMAT="json")
    with serving(env, port, log, "--workers", "2"):
        wait_for(position_reached(base, 41), "the demo to be projected")
        for _ in range(8):  # a new connection each: the kernel spreads them
            assert httpx.get(f"{base}/v1/bodies/{BODY}/certification").status_code == 200
        # A request is counted once its response has gone out: wait for the last one.
        wait_for(
            lambda: requests_of(httpx.get(f"{base}/metrics").text, ROUTE, "200") == 8,
            "the 8 requests to be counted",
        )
        answers = [httpx.get(f"{base}/metrics").text for _ in range(16)]
    counts = {requests_of(text, ROUTE, "200") for text in answers}
    assert counts == {8}
    assert {value(text, "ledger_read_model_position") for text in answers} == {41}
    assert {value(text, "ledger_head_position") for text in answers} == {41}
    # Both processes answered scrapes (16 on one alone: odds of 2 in 65,536).
    scraped_by = {
        line["process"]
        for line in map(json.loads, log.read_text().splitlines())
        if line.get("path") == "/metrics"
    }
    assert len(scraped_by) == 2


def test_the_app_mounts_metrics_the_offline_docs_and_the_observer() -> None:
    from api import docs

    app = create_app(tokens=[])
    assert {metrics.metrics, docs.swagger_ui, docs.redoc, docs.asset} <= endpoints(app)
    assert (app.docs_url, app.redoc_url) == (None, None)  # FastAPI's CDN pages are off
    # Starlette types a middleware's class as a factory protocol, which a class is not to mypy.
    classes: list[object] = [m.cls for m in app.user_middleware]
    assert classes.count(metrics.RequestObserver) == 1
