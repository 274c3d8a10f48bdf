import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildConfig, formatCreated, parsePort } from "../../src/image/config.ts";
import { formatPlatform, parsePlatform } from "../../src/image/platform.ts";
import { canonicalString } from "../../src/image/json.ts";
import { assembleImage, convertImage } from "../../src/image/image.ts";
import { createLayer } from "../../src/layer.ts";
import { sha256 } from "../../src/digest.ts";

describe("image config", () => {
  test("only given fields appear, with the spec's names", () => {
    const c = buildConfig({
      entrypoint: ["/app"],
      cmd: ["serve"],
      env: { B: "2", A: "1" },
      workdir: "/srv",
      user: "65532:65532",
      exposedPorts: ["8080", "53/udp"],
      volumes: ["/data"],
      labels: { "org.opencontainers.image.source": "https://example.com/x" },
      stopSignal: "SIGINT",
      platform: parsePlatform("linux/arm/v7"),
      created: 1700000000,
    }, 1);
    assert.equal(
      canonicalString(c),
      '{"architecture":"arm","config":{"Cmd":["serve"],"Entrypoint":["/app"],"Env":["B=2","A=1"],' +
        '"ExposedPorts":{"53/udp":{},"8080/tcp":{}},"Labels":{"org.opencontainers.image.source":' +
        '"https://example.com/x"},"StopSignal":"SIGINT","User":"65532:65532","Volumes":{"/data":{}},' +
        '"WorkingDir":"/srv"},"created":"2023-11-14T22:13:20Z","history":[{"created":' +
        '"2023-11-14T22:13:20Z","created_by":"scratchbuild"}],"os":"linux","rootfs":{"diff_ids":[],' +
        '"type":"layers"},"variant":"v7"}',
    );
  });

  test("created defaults to the epoch, never now", () => {
    assert.equal(buildConfig({}, 0).created, "1970-01-01T00:00:00Z");
    assert.equal(formatCreated(0), "1970-01-01T00:00:00Z");
  });

  test("ports and platforms are validated", () => {
    assert.equal(parsePort("443/TCP"), "443/tcp");
    assert.throws(() => parsePort("70000"), /Cannot parse port "70000"/);
    assert.throws(() => parsePlatform("linux"), /expected OS\/ARCH/);
    assert.throws(() => parsePlatform("linux/x86"), /unknown architecture "x86"/);
    assert.throws(() => parsePlatform("beos/amd64"), /unknown OS "beos"/);
    assert.equal(formatPlatform(parsePlatform("linux/arm64/v8")), "linux/arm64/v8");
  });
});

describe("image assembly", () => {
  test("digests cover the exact serialised bytes", async () => {
    const layer = await createLayer([{
      path: "/a",
      type: "file",
      mode: 0o644,
      content: new Uint8Array(9),
    }]);
    const image = await assembleImage(buildConfig({}, 1), [layer]);
    assert.equal(image.manifestBlob.descriptor.digest, await sha256(image.manifestBlob.bytes));
    assert.equal(image.configBlob.descriptor.digest, await sha256(image.configBlob.bytes));
    assert.deepEqual(image.config.rootfs.diff_ids, [layer.diffID]);
    assert.equal(layer.digest, await sha256(layer.data));
    assert.equal(layer.diffID, await sha256(layer.tar!));
    const manifest = JSON.parse(new TextDecoder().decode(image.manifestBlob.bytes));
    assert.equal(manifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.equal(manifest.layers[0].mediaType, "application/vnd.docker.image.rootfs.diff.tar.gzip");
  });

  test("uncompressed layers use the tar media type and digest = diff_id", async () => {
    const layer = await createLayer([{ path: "/a", type: "directory", mode: 0o755 }], {
      compression: "none",
      format: "oci",
    });
    assert.equal(layer.mediaType, "application/vnd.oci.image.layer.v1.tar");
    assert.equal(layer.digest, layer.diffID);
  });

  test("converting to OCI keeps layer and config bytes, changes the manifest", async () => {
    const layer = await createLayer([{ path: "/a", type: "directory", mode: 0o755 }]);
    const docker = await assembleImage(buildConfig({}, 1), [layer]);
    const oci = await convertImage(docker, "oci");
    assert.equal(oci.configBlob.descriptor.digest, docker.configBlob.descriptor.digest);
    assert.equal(oci.layers[0].digest, layer.digest);
    assert.equal(oci.layers[0].mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
    assert.equal(oci.manifest.config.mediaType, "application/vnd.oci.image.config.v1+json");
    assert.notEqual(oci.manifestBlob.descriptor.digest, docker.manifestBlob.descriptor.digest);
  });
});
