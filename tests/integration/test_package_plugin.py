"""The package's plugin as Pulumi's language host runs it: `python package <engine address>`
(the folder, so its __main__.py), which prints the port of its gRPC server on the first line.
Asked over gRPC, it serves the committed schema and the package's version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent import futures

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import (
    errors_pb2,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
    status_pb2,
)
from pulumi.runtime.rpc import _special_output_value_sig as OUTPUT_VALUE_SIG
from pulumi.runtime.rpc import _special_secret_sig as SECRET_SIG
from pulumi.runtime.rpc import _special_sig_key as SECRET_MARKER

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


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """Just enough of the engine's resource monitor for a Construct that is refused before it
    registers anything: which features it supports. Any registration fails the test."""

    def SupportsFeature(self, request, context):
        return resource_pb2.SupportsFeatureResponse(hasSupport=True)

    def RegisterResource(self, request, context):
        raise AssertionError(f"registered {request.type} {request.name}")


def _secret(value: str, encoding: str) -> dict[str, object]:
    """A secret as the engine sends it: an output value (what it sends a provider that accepts
    them, as the Python provider does), or the older secret marker."""
    if encoding == "output value":
        return {SECRET_MARKER: OUTPUT_VALUE_SIG, "value": value, "secret": True, "dependencies": []}
    return {SECRET_MARKER: SECRET_SIG, "value": value}


@pytest.mark.integration
@pytest.mark.parametrize("encoding", ["output value", "secret marker"])
def test_a_refused_construct_reaches_the_engine_as_property_errors_without_secrets(encoding):
    monitor = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_Monitor(), monitor)
    monitor_port = monitor.add_insecure_port("127.0.0.1:0")
    monitor.start()
    example = yaml.safe_load((ROOT / "examples" / "package" / "Pulumi.yaml").read_text())
    properties = example["resources"]["shop"]["properties"]
    properties["apis"]["api"]["links"] = ["db", "nowhere"]
    properties["credentials"] = {
        "sshPrivateKey": _secret("PRIVATE-KEY-TEXT", encoding),
        "healthchecksApiKey": _secret("h" * 32, encoding),
        "appSecrets": {"bad name": _secret("APP-SECRET-TEXT", encoding)},
    }
    inputs = struct_pb2.Struct()
    inputs.update(properties)  # numbers become floats, as on the wire
    plugin = subprocess.Popen(
        [sys.executable, str(ROOT / "package"), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PULUMI_PYTHON_CMD": sys.executable},
    )
    try:
        port = int(plugin.stdout.readline().strip())  # type: ignore[union-attr]
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            request = provider_pb2.ConstructRequest(
                project="shop",
                stack="prod",
                organization="acme",
                dryRun=True,
                monitorEndpoint=f"127.0.0.1:{monitor_port}",
                type="multicloud:index:Application",
                name="shop",
                inputs=inputs,
            )
            with pytest.raises(grpc.RpcError) as refused:
                stub.Construct(request, timeout=60)
    finally:
        plugin.kill()
        plugin.communicate(timeout=30)
        monitor.stop(None)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    status = status_pb2.Status.FromString(dict(refused.value.trailing_metadata())["grpc-status-details-bin"])
    details = errors_pb2.InputPropertiesError()
    assert status.details[0].Unpack(details)
    errors = [(e.property_path, e.reason) for e in details.errors]
    if encoding == "output value":
        assert [path for path, _ in errors] == ["apis.api.links[1]"] and "nowhere" in errors[0][1]
        # The credential's problem is in the message, without a path the engine would print a value at.
        assert "credentials.appSecrets.bad name: " in status.message
    else:
        # The older marker makes the whole object one secret: refused before the host maps it.
        assert errors == [] and "credentials: pass an object of secrets" in status.message
    for text in (status.message, refused.value.details()):
        assert "PRIVATE-KEY-TEXT" not in text and "APP-SECRET-TEXT" not in text and "Traceback" not in text
