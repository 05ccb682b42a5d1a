"""``protocol.json`` is the one source of the protocol's names (docs/protocol.md).

It is valid against its JSON Schema, Python's typed names are exactly its names, and the
import check refuses a Python enum that drifted from it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema

from hyperchannels import protocol
from hyperchannels.protocol import CloseCode, ConnectionState, EventName, FrameType, Status
from tests.servers import ROOT

DATA = json.loads(protocol.SOURCE.read_text(encoding="utf-8"))
SCHEMA = json.loads(protocol.SOURCE.with_name("protocol.schema.json").read_text(encoding="utf-8"))


def test_protocol_json_is_valid_against_its_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(DATA, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_the_schema_refuses_a_malformed_file() -> None:
    broken = {**DATA, "errors": {"teapot": {"status": "418"}}}
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(broken))
    assert errors


def test_python_names_are_the_file_s_names() -> None:
    assert [str(f) for f in FrameType] == list(DATA["client_frames"])
    assert [str(e) for e in EventName] == list(DATA["events"])
    assert [str(s) for s in ConnectionState] == DATA["connection_states"]["server"]
    assert {c.name.lower(): int(c) for c in CloseCode} == DATA["close_codes"]
    assert {int(s) for s in Status} == {e["status"] for e in DATA["errors"].values()}
    assert protocol.message("conflict") == DATA["errors"]["conflict"]["message"]
    assert protocol.default_message(Status.TOO_LARGE) == "Frame too large"
    assert protocol.default_message(418) == "Internal server error"


def test_every_client_frame_type_has_a_parser() -> None:
    from hyperchannels.frames import HANDLED

    assert set(HANDLED) == set(DATA["client_frames"])


def test_a_drifted_python_enum_is_refused_at_import(tmp_path: object) -> None:
    """A copy of protocol.py reading a protocol.json with one more close code fails to import."""
    import shutil
    from pathlib import Path

    package = Path(str(tmp_path)) / "drift"
    package.mkdir()
    shutil.copy(ROOT / "hyperchannels" / "protocol.py", package / "protocol.py")
    data = {**DATA, "close_codes": {**DATA["close_codes"], "teapot": 4418}}
    (package / "protocol.json").write_text(json.dumps(data))
    result = subprocess.run(
        [sys.executable, "-c", "import protocol"], cwd=package, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "CloseCode differs from protocol.json" in result.stderr
