import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ScratchbuildError, UsageError } from "../../src/errors.ts";
import { resolveCredentials } from "../../src/adapters/docker_config.ts";
import { runCredentialHelper } from "../../src/adapters/cred_helper.ts";

const b64 = (s: string) => btoa(s);

describe("resolveCredentials", () => {
  let dir: string;
  let bin: string;
  let env: Record<string, string | undefined>;

  function writeConfig(config: unknown): void {
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "scratchbuild-dockercfg-"));
    bin = mkdtempSync(join(tmpdir(), "scratchbuild-bin-"));
    // A credential helper: knows two servers, logs what it was asked.
    const script = [
      "#!/bin/sh",
      "read -r server",
      `echo "$server" >> "${join(bin, "asked.log")}"`,
      'case "$server" in',
      '  helped.example) echo \'{"ServerURL":"helped.example","Username":"helper-user","Secret":"helper-pass"}\' ;;',
      '  https://index.docker.io/v1/) echo \'{"Username":"<token>","Secret":"hub-identity"}\' ;;',
      '  broken.example) echo "keychain locked" >&2; exit 3 ;;',
      '  *) echo "credentials not found in native keychain"; exit 1 ;;',
      "esac",
      "",
    ].join("\n");
    writeFileSync(join(bin, "docker-credential-fake"), script);
    chmodSync(join(bin, "docker-credential-fake"), 0o755);
    env = { PATH: `${bin}:${process.env.PATH ?? ""}`, DOCKER_CONFIG: dir };
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
  });

  it("prefers explicit flags, then the token, then the environment", async () => {
    writeConfig({ auths: { "r.example": { auth: b64("cfg:cfgpass") } } });
    assert.deepEqual(
      await resolveCredentials("r.example", { username: "u", password: "p", env }),
      { username: "u", password: "p" },
    );
    assert.deepEqual(await resolveCredentials("r.example", { token: "tkn", env }), {
      registryToken: "tkn",
    });
    assert.deepEqual(
      await resolveCredentials("r.example", {
        env: { ...env, SCRATCHBUILD_USERNAME: "envu", SCRATCHBUILD_PASSWORD: "envp" },
      }),
      { username: "envu", password: "envp" },
    );
    assert.deepEqual(await resolveCredentials("r.example", { env }), {
      username: "cfg",
      password: "cfgpass",
    });
  });

  it("rejects a username without a password", async () => {
    await assert.rejects(resolveCredentials("r.example", { username: "u", env }), UsageError);
  });

  it("reads auths keyed with or without scheme and /v1/ suffix", async () => {
    writeConfig({
      auths: {
        "https://a.example": { auth: b64("a:pa") },
        "http://b.example:5000/v1/": { username: "b", password: "pb" },
        "c.example": { identitytoken: "idtok", auth: b64("<token>:") },
        "https://index.docker.io/v1/": { auth: b64("hub:ph:with:colons") },
        "d.example": {},
      },
    });
    assert.deepEqual(await resolveCredentials("a.example", { env }), {
      username: "a",
      password: "pa",
    });
    assert.deepEqual(await resolveCredentials("b.example:5000", { env }), {
      username: "b",
      password: "pb",
    });
    assert.deepEqual(await resolveCredentials("c.example", { env }), { identityToken: "idtok" });
    assert.deepEqual(await resolveCredentials("registry-1.docker.io", { env }), {
      username: "hub",
      password: "ph:with:colons",
    });
    assert.equal(await resolveCredentials("d.example", { env }), undefined);
    assert.equal(await resolveCredentials("unknown.example", { env }), undefined);
  });

  it("uses dockerConfigDir over DOCKER_CONFIG and is fine without a config", async () => {
    assert.equal(
      await resolveCredentials("a.example", { env, dockerConfigDir: join(dir, "missing") }),
      undefined,
    );
  });

  it("asks credHelpers first, then credsStore, then auths", async () => {
    writeConfig({
      credHelpers: { "helped.example": "fake" },
      credsStore: "fake",
      auths: { "helped.example": { auth: b64("x:y") }, "stored.example": { auth: b64("s:t") } },
    });
    rmSync(join(bin, "asked.log"), { force: true });
    assert.deepEqual(await resolveCredentials("helped.example", { env }), {
      username: "helper-user",
      password: "helper-pass",
    });
    // The store has nothing for this one: fall through to auths.
    assert.deepEqual(await resolveCredentials("stored.example", { env }), {
      username: "s",
      password: "t",
    });
    // Docker Hub is asked for under its legacy key; <token> marks an identity token.
    assert.deepEqual(await resolveCredentials("registry-1.docker.io", { env }), {
      identityToken: "hub-identity",
    });
  });

  it("names a credential helper that is not installed", async () => {
    writeConfig({ credHelpers: { "gone.example": "nothere" } });
    await assert.rejects(resolveCredentials("gone.example", { env }), (e: unknown) => {
      assert.ok(e instanceof ScratchbuildError);
      assert.equal(e.code, "AUTH");
      assert.match(e.message, /docker-credential-nothere is not installed/);
      return true;
    });
  });

  it("reports a failing helper with its message", async () => {
    await assert.rejects(
      runCredentialHelper("fake", "broken.example", { env }),
      /Cannot get credentials for broken\.example: docker-credential-fake exited with code 3: keychain locked/,
    );
  });

  it("rejects a malformed auth field without echoing it", async () => {
    writeConfig({ auths: { "bad.example": { auth: "bm9jb2xvbg==" } } });
    await assert.rejects(resolveCredentials("bad.example", { env }), (e: unknown) => {
      assert.ok(e instanceof ScratchbuildError);
      assert.ok(!e.message.includes("bm9jb2xvbg"));
      assert.match(e.message, /not base64 of USER:PASSWORD/);
      return true;
    });
  });
});
