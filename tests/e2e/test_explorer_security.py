"""The explorer attacked as an attacker would, over HTTP, against a real ``ketasim serve`` on localhost.

An attacker does not use the page: they post their own callback requests. None of them may learn anything about
a file on the server, oversized requests are refused at once, and a run is stopped when its browser leaves or it
takes longer than the server's time limit (``ketasim serve --time-limit``), freeing the server for others.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ketasim.web.form import FormValues

KETASIM = Path(sys.executable).parent / "ketasim"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 300.0  # the first chunk of a run compiles the model: allow for a slow, shared machine
REFUSAL_S = 1.0
SECRET = "SECRET-4d1f"


@dataclass
class Server:
    """A running ``ketasim serve`` and the file its output goes to."""

    url: str
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``ketasim serve`` with a one-second run limit and one engine batch at a time (a run stops after a chunk)."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "KETASIM_ENGINE_THREADS": "1"}
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(KETASIM), "serve", "--port", str(port), "--time-limit", "1"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        assert process.poll() is None, log.read_text()
        yield Server(url, port, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _callback(url: str, input_id: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "_dash-dependencies", timeout=30) as response:
        callbacks = json.load(response)
    return next(c for c in callbacks if any(i["id"] == input_id for i in c["inputs"]))


def _outputs(spec: str) -> list[dict[str, str]]:
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    return [{"id": p.split(".")[0], "property": p.split(".")[1].split("@")[0]} for p in parts]


def request_body(url: str, input_id: str, inputs: dict[str, Any], state: dict[str, Any]) -> bytes:
    """The JSON body of a callback request of the callback triggered by ``input_id``, with the values given."""
    callback = _callback(url, input_id)
    return json.dumps(
        {
            "output": callback["output"],
            "outputs": _outputs(callback["output"]),
            "inputs": [{**i, "value": inputs.get(f"{i['id']}.{i['property']}")} for i in callback["inputs"]],
            "state": [{**s, "value": state.get(f"{s['id']}.{s['property']}")} for s in callback["state"]],
            "changedPropIds": [f"{input_id}.{callback['inputs'][0]['property']}"],
        }
    ).encode()


def post(url: str, body: bytes, timeout: float = 60) -> tuple[int, str]:
    """Send a callback request; the status and the body of the answer."""
    request = urllib.request.Request(url + "_dash-update-component", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode("utf-8", "replace")


def run_body(url: str, **changes: Any) -> bytes:
    """A request of the run button with the form's values, changed as given."""
    form = {f"{name}.value": value for name, value in {**FormValues().as_dict(), **changes}.items()}
    return request_body(url, "run", {"run.n_clicks": 1}, {**form, "scale.value": "madrs", "time-window.value": "all"})


def upload_body(url: str, content: bytes, filename: str) -> bytes:
    encoded = "data:application/x-yaml;base64," + base64.b64encode(content).decode()
    return request_body(
        url, "upload-protocol", {"upload-protocol.contents": encoded}, {"upload-protocol.filename": filename}
    )


def timed(url: str, body: bytes) -> tuple[float, int, str]:
    start = time.perf_counter()
    status, text = post(url, body)
    return time.perf_counter() - start, status, text


# ---------------------------------------------------------------- a file on the server stays unknown


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.yaml"
    path.write_text(f"ketasim: {SECRET}\nleaked_key: 1\n", encoding="utf-8")
    return path


def test_no_callback_reveals_whether_a_server_file_exists_or_what_it_holds(server: Server, secret: Path) -> None:
    missing = secret.with_name("missing.yaml")
    answers: dict[str, list[str]] = {}
    for path in (secret, missing):
        for state in (
            {"mapping": str(path), "run": "0" * 32, "times_h": [0, 48], "medians": {}, "divisor": 1, "network": True},
            {"mapping": str(path)},
            {"run": str(path)},
            str(path),
        ):
            bodies = [
                request_body(server.url, "fc-time", {"fc-time.value": 24}, {"state.data": state}),
                request_body(
                    server.url, "scale", {"scale.value": "madrs"}, {"state.data": state, "time-window.value": "all"}
                ),
                request_body(server.url, "time-window", {"time-window.value": "day"}, {"state.data": state}),
            ]
            answers.setdefault(str(path), []).extend(text for _, text in (post(server.url, b) for b in bodies))
        upload = upload_body(server.url, b"ketasim: 1\n", f"../../../../..{path}")
        answers[str(path)].append(post(server.url, upload)[1])
    for texts in answers.values():
        for text in texts:
            assert SECRET not in text and "leaked_key" not in text and "not found" not in text, text
            assert str(secret.parent) not in text, text
    assert answers[str(secret)] == [
        text.replace(str(missing), str(secret)) for text in answers[str(missing)]
    ]  # the same answers whether the file exists or not
    assert "no longer keeps this run" in answers[str(secret)][0]


def test_a_page_holds_only_the_random_key_of_its_run_and_the_views_work_from_it(server: Server) -> None:
    body = run_body(server.url, patients=20, comparator="none", duration="7 d", schedule="0 d, 3 d")
    status, text = post(server.url, body, timeout=STOP_TIMEOUT_S)
    assert status == 200, text[:300]
    state = json.loads(text)["response"]["state"]["data"]
    assert set(state) == {"run", "number"} and re.fullmatch("[0-9a-f]{32}", state["run"]), state
    slider = request_body(server.url, "fc-time", {"fc-time.value": 48}, {"state.data": state})
    answer = json.loads(post(server.url, slider)[1])["response"]
    assert answer["plot-fc"]["figure"]["data"] and "error" not in answer  # the FC view at 48 h, from the key
    forged = request_body(server.url, "fc-time", {"fc-time.value": 48}, {"state.data": {**state, "run": "f" * 32}})
    assert "no longer keeps this run" in post(server.url, forged)[1]


# ---------------------------------------------------------------- oversized requests refused at once


def test_oversized_requests_are_refused_in_under_a_second(server: Server) -> None:
    post(server.url, run_body(server.url, dose="half a vial"))  # the first request loads the run's modules
    cases = {
        "a million patients": (run_body(server.url, patients=1_000_000), "limit of 5000"),
        "a 100-year course": (run_body(server.url, duration="100 year"), "longer than 10 years"),
        "a 2-year course": (run_body(server.url, duration="104 w"), "courses of up to 52 weeks"),
        "10,000 doses": (
            run_body(server.url, schedule=", ".join(f"{k} h" for k in range(10_000)), duration="52 w"),
            "10000 dose times, over the explorer's limit of 400",
        ),
        "5000 patients for a year": (
            run_body(server.url, patients=5000, comparator="none", duration="52 w", schedule="0 d, 7 d"),
            "patient-steps, over the explorer's limit",
        ),
        "a 100 kB upload": (upload_body(server.url, b"# " + b"x" * 100_000, "big.yaml"), "limit of 32 kB"),
        "9**9**9 as a dose": (run_body(server.url, dose="9**9**9 mg"), "cannot read"),
    }
    for name, (body, words) in cases.items():
        seconds, status, text = timed(server.url, body)
        assert status == 200 and words in text, (name, text[:300])
        assert seconds < REFUSAL_S, (name, seconds)


def test_a_30_mb_request_is_refused_before_it_is_read(server: Server) -> None:
    size = 30_000_000
    head = (
        f"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    )
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head.encode() + b'{"output": "' + b"x" * 65_536)
        answer = connection.recv(200).decode("latin-1")
    seconds = time.perf_counter() - start
    assert answer.startswith("HTTP/1.1 413"), answer
    assert seconds < REFUSAL_S


# ---------------------------------------------------------------- a run nobody waits for is stopped


def test_a_run_over_the_time_limit_is_stopped_with_a_clear_message(server: Server) -> None:
    body = run_body(server.url, patients=4000, comparator="none", duration="7 d", schedule="0 d")
    status, text = post(server.url, body, timeout=STOP_TIMEOUT_S)
    assert status == 200
    assert "took longer than the explorer's limit of 1 s and was stopped" in text
    assert re.search(r"run stopped after \d+ of 4000 patients: over 1 s", server.output())


def test_a_run_is_stopped_when_the_browser_leaves(server: Server) -> None:
    body = run_body(server.url, patients=5000, comparator="none", duration="7 d", schedule="0 d")
    head = (
        f"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head.encode() + body)
        time.sleep(0.5)  # the server has the request and is running it (several chunks of 512); the browser leaves
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and "of 5000 patients: the browser left" not in server.output():
        time.sleep(0.5)
    found = re.search(r"run stopped after (\d+) of 5000 patients: the browser left", server.output())
    assert found and int(found.group(1)) < 5000, server.output()[-2000:]
