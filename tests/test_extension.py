"""A new MSC is added by adding spec files only: no edit to ``codegen/`` or ``templates/``.

In a copy of ``spec/``, two endpoint files (one per API) and one new definitions file describe a
made-up MSC. ``lint`` accepts them, and ``generate`` then makes: the new models, the
operations in ``operations.py``, a client method in the direction of each, a handler method on
the right server, a section in the ``unstable`` document (and in no release's), and ``diff``
reports both operations as added in ``unstable``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codegen.cli import main
from codegen.spec import DEFAULT_SPEC_ROOT

WIDGET = """\
$schema: https://json-schema.org/draft/2020-12/schema
title: Msc9999Widget
x-unstable: MSC9999
type: object
description: A widget that a bridge pins to a room (made up for a test).
properties:
  widget_id:
    type: string
    description: The widget's ID.
  url:
    type: string
    description: Where the widget lives.
required: [widget_id]
examples:
  - {widget_id: w1, url: "https://widgets.example.org/w1"}
"""

AS_ENDPOINT = """\
openapi: 3.1.0
info: {title: MSC9999 for appservices, version: 1.0.0}
servers:
  - url: "{protocol}://{hostname}{basePath}"
    variables:
      protocol: {enum: [http, https], default: https}
      hostname: {default: "localhost:9000"}
      basePath: {default: /_matrix/app/unstable/org.example.msc9999}
paths:
  /widgets/{roomId}:
    get:
      x-unstable: MSC9999
      operationId: getRoomWidgets
      tags: [Widgets]
      summary: List the widgets the appservice keeps for a room.
      description: The homeserver asks which widgets the appservice keeps for a room.
      security:
        - homeserverAccessToken: []
      x-legacyPaths: []
      parameters:
        - name: roomId
          in: path
          required: true
          description: The room.
          schema: {type: string}
          example: "!r:example.org"
        - name: limit
          in: query
          description: The most widgets to list.
          schema: {type: integer}
          example: 10
      responses:
        "200":
          description: The widgets.
          content:
            application/json:
              schema:
                title: RoomWidgets
                type: object
                properties:
                  widgets:
                    type: array
                    items: {$ref: ../definitions/msc9999_widget.yaml}
                required: [widgets]
              examples:
                two:
                  value: {widgets: [{widget_id: w1}, {widget_id: w2, url: "https://w.example.org"}]}
"""

CS_ENDPOINT = """\
openapi: 3.1.0
info: {title: MSC9999 for homeservers, version: 1.0.0}
servers:
  - url: "{protocol}://{hostname}{basePath}"
    variables:
      protocol: {enum: [http, https], default: https}
      hostname: {default: "localhost:8008"}
      basePath: {default: /_matrix/client/unstable/org.example.msc9999}
paths:
  /rooms/{roomId}/widgets:
    put:
      x-unstable: MSC9999
      operationId: pinRoomWidget
      tags: [Widgets]
      summary: Pin a widget to a room.
      description: An appservice pins a widget to a room, as one of its users.
      security:
        - accessTokenBearer: []
      parameters:
        - name: roomId
          in: path
          required: true
          description: The room.
          schema: {type: string}
          example: "!r:example.org"
        - $ref: ../definitions/parameters.yaml#/user_id
        - $ref: ../definitions/parameters.yaml#/device_id
        - $ref: ../definitions/parameters.yaml#/msc3202_device_id
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: ../definitions/msc9999_widget.yaml}
            examples:
              one:
                value: {widget_id: w1}
      responses:
        "200":
          description: Pinned.
          content:
            application/json:
              schema:
                title: PinRoomWidgetResponse
                type: object
              examples:
                ok:
                  value: {}
"""

PROBE = textwrap.dedent(
    """
    import inspect, json
    from matrix_appservice import OPERATIONS, models
    from matrix_appservice.client import AsyncHomeserverClient, AppServiceClient, HomeserverClient
    from matrix_appservice.homeserver import HomeserverHandler
    from matrix_appservice.server import AppServiceHandler

    def signature(method):
        return [(p.name, p.kind.name) for p in inspect.signature(method).parameters.values()]

    pin, get = OPERATIONS["pinRoomWidget"], OPERATIONS["getRoomWidgets"]
    print(json.dumps({
        "widget": sorted(models.Msc9999Widget.model_fields),
        "room_widgets": sorted(models.RoomWidgets.model_fields),
        "pin": [pin.api, pin.method, pin.releases, pin.path("unstable"), pin.request.__name__],
        "get": [get.api, get.releases, get.path("unstable"), str(get.responses[200].__name__)],
        "pin_identity": list(pin.identity_params("unstable")),
        "client": signature(HomeserverClient.pin_room_widget),
        "async_client": signature(AsyncHomeserverClient.pin_room_widget),
        "as_client": signature(AppServiceClient.get_room_widgets),
        "homeserver_handler": signature(HomeserverHandler.pin_room_widget),
        "appservice_handler": signature(AppServiceHandler.get_room_widgets),
    }))
    """
)


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of spec/ with the MSC added, and what ``generate`` made of it."""
    root = tmp_path_factory.mktemp("extension")
    spec = root / "spec"
    shutil.copytree(DEFAULT_SPEC_ROOT, spec)
    (spec / "definitions" / "msc9999_widget.yaml").write_text(WIDGET, encoding="utf-8")
    (spec / "application-service" / "msc9999_widgets.yaml").write_text(AS_ENDPOINT, "utf-8")
    (spec / "client-server" / "msc9999_widgets.yaml").write_text(CS_ENDPOINT, "utf-8")
    assert main(["--spec", str(spec), "lint"]) == 0
    out = root / "out"
    assert main(["--spec", str(spec), "generate", "--out", str(out)]) == 0
    return spec, out


def test_the_package_has_models_operations_clients_and_handlers(
    extended: tuple[Path, Path],
) -> None:
    _, out = extended
    env = {**os.environ, "PYTHONPATH": str(out / "python")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["widget"] == ["url", "widget_id"]
    assert found["room_widgets"] == ["widgets"]
    assert found["pin"] == [
        "client-server", "PUT", ["unstable"],
        "/_matrix/client/unstable/org.example.msc9999/rooms/{roomId}/widgets", "Msc9999Widget",
    ]  # fmt: skip
    assert found["get"][:3] == [
        "application-service", ["unstable"],
        "/_matrix/app/unstable/org.example.msc9999/widgets/{roomId}",
    ]  # fmt: skip
    assert found["pin_identity"] == ["user_id", "device_id", "org.matrix.msc3202.device_id"]
    # The client takes the path and the body's required field positionally, the rest by keyword;
    # identity assertion comes from as_user(), never from an argument.
    pin = [["self", "POSITIONAL_OR_KEYWORD"], ["room_id", "POSITIONAL_OR_KEYWORD"],
           ["widget_id", "POSITIONAL_OR_KEYWORD"], ["url", "KEYWORD_ONLY"]]  # fmt: skip
    assert found["client"] == pin and found["async_client"] == pin
    assert found["as_client"] == [
        ["self", "POSITIONAL_OR_KEYWORD"], ["room_id", "POSITIONAL_OR_KEYWORD"],
        ["limit", "KEYWORD_ONLY"],
    ]  # fmt: skip
    assert [n for n, _ in found["homeserver_handler"]] == ["self", "requester", "room_id", "body"]
    assert [n for n, _ in found["appservice_handler"]] == ["self", "room_id", "limit"]


def test_only_the_unstable_document_describes_it(extended: tuple[Path, Path]) -> None:
    _, out = extended
    unstable = (out / "docs" / "unstable.rst").read_text("utf-8")
    stable = (out / "docs" / "v1.19.rst").read_text("utf-8")
    for text in ("/_matrix/client/unstable/org.example.msc9999/rooms/{roomId}/widgets",
                 "/_matrix/app/unstable/org.example.msc9999/widgets/{roomId}", "Msc9999Widget"):  # fmt: skip
        assert text in unstable
        assert text not in stable


def test_diff_reports_the_new_operations(
    extended: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    spec, _ = extended
    assert main(["--spec", str(spec), "diff", "v1.19", "unstable", "--json"]) == 0
    changes = json.loads(capsys.readouterr().out)
    added = {c["where"] for c in changes if c["kind"] == "operation" and c["change"] == "added"}
    assert "PUT /_matrix/client/unstable/org.example.msc9999/rooms/{roomId}/widgets" in added
    assert "GET /_matrix/app/unstable/org.example.msc9999/widgets/{roomId}" in added
    schemas = {c["where"] for c in changes if c["kind"] == "schema" and c["change"] == "added"}
    assert "Msc9999Widget" in schemas


def test_a_name_clash_is_the_generators_error_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What lint accepts and the Python emitters cannot name is one line with the place."""
    spec = tmp_path / "spec"
    shutil.copytree(DEFAULT_SPEC_ROOT, spec)
    clash = CS_ENDPOINT.replace("operationId: pinRoomWidget", "operationId: SendMessage")
    clash = clash.replace("$ref: ../definitions/msc9999_widget.yaml", "type: object")
    (spec / "client-server" / "clash.yaml").write_text(clash, "utf-8")
    assert main(["--spec", str(spec), "lint"]) == 0
    capsys.readouterr()
    assert main(["--spec", str(spec), "generate", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    line = clash.splitlines().index("    put:") + 2  # the first key of the operation
    assert err.startswith("generate: spec/client-server/"), err
    assert f"spec/client-server/clash.yaml:{line}" in err and "room_send.yaml:" in err
    assert "would both be the Python constant 'SEND_MESSAGE'" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
