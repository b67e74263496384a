"""The package's plugin as Pulumi's language host runs it: `python package <engine address>`
(the folder, so its __main__.py), which prints the port of its gRPC server on the first line.
Asked over gRPC, it serves the committed schema and the package's version."""

from __future__ import annotations

import json
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

import multicloud
from tests.conftest import ROOT


@pytest.mark.integration
def test_the_plugin_serves_the_committed_schema_over_grpc():
    # The engine address is only dialled when a component is constructed.
    plugin = subprocess.Popen(
        [sys.executable, str(ROOT / "package"), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(plugin.stdout.readline().strip())  # type: ignore[union-attr]
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            served = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    finally:
        plugin.kill()
        plugin.communicate(timeout=30)
    committed = json.loads((ROOT / "package" / "schema.json").read_text())
    assert json.loads(served.schema) == committed
    assert info.version == multicloud.__version__ == committed["version"]
