import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { findChallenge, parseChallenges } from "../../src/registry/challenge.ts";

describe("parseChallenges", () => {
  it("parses a distribution Bearer challenge with a comma inside a quoted scope", () => {
    assert.deepEqual(
      parseChallenges(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"',
      ),
      [{
        scheme: "bearer",
        params: {
          realm: "https://auth.example.com/token",
          service: "registry.example.com",
          scope: "repository:a/b:pull,push",
        },
      }],
    );
  });

  it("lowercases schemes and parameter names but not values", () => {
    const [c] = parseChallenges('BASIC Realm="My Realm", CharSet=UTF-8');
    assert.equal(c.scheme, "basic");
    assert.deepEqual(c.params, { realm: "My Realm", charset: "UTF-8" });
  });

  it("splits several challenges in one header", () => {
    const got = parseChallenges(
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
    );
    assert.deepEqual(got, [
      { scheme: "newauth", params: { realm: "apps", type: "1", title: 'Login to "apps"' } },
      { scheme: "basic", params: { realm: "simple" } },
    ]);
  });

  it("reads several header values in order", () => {
    const got = parseChallenges(['Basic realm="a"', 'Bearer realm="https://t/x",service=s']);
    assert.deepEqual(got.map((c) => c.scheme), ["basic", "bearer"]);
    assert.equal(findChallenge(got, "BEARER")?.params.service, "s");
    assert.equal(findChallenge(got, "digest"), undefined);
  });

  it("handles token68 challenges, alone and followed by others", () => {
    assert.deepEqual(parseChallenges("Negotiate abc+/def=="), [
      { scheme: "negotiate", params: {}, token68: "abc+/def==" },
    ]);
    assert.deepEqual(parseChallenges('Negotiate abc=, Basic realm="r"'), [
      { scheme: "negotiate", params: {}, token68: "abc=" },
      { scheme: "basic", params: { realm: "r" } },
    ]);
  });

  it("accepts schemes without parameters", () => {
    assert.deepEqual(parseChallenges("Basic"), [{ scheme: "basic", params: {} }]);
    assert.deepEqual(parseChallenges("Basic, Bearer realm=x"), [
      { scheme: "basic", params: {} },
      { scheme: "bearer", params: { realm: "x" } },
    ]);
  });

  it("tolerates whitespace around = and between elements", () => {
    const [c] = parseChallenges(
      '  Bearer   realm = "r" ,  service =svc ,, error="insufficient_scope"  ',
    );
    assert.deepEqual(c, {
      scheme: "bearer",
      params: { realm: "r", service: "svc", error: "insufficient_scope" },
    });
  });

  it("unescapes backslashes in quoted strings and keeps commas and spaces", () => {
    const [c] = parseChallenges('X a="1\\\\2", b="x, y = z", c=""');
    assert.deepEqual(c.params, { a: "1\\2", b: "x, y = z", c: "" });
  });

  it("keeps the first of duplicate parameters and ignores prototype keys", () => {
    const [c] = parseChallenges("X a=1, A=2, __proto__=3, constructor=4");
    assert.equal(c.params.a, "1");
    assert.equal(c.params.constructor, "4");
    assert.equal(Object.getPrototypeOf(c.params), Object.prototype);
    assert.equal(Object.keys(c.params).includes("__proto__"), false);
  });

  it("survives malformed input", () => {
    assert.deepEqual(parseChallenges(""), []);
    assert.deepEqual(parseChallenges(", ,"), []);
    assert.deepEqual(parseChallenges('Bearer realm="unterminated'), [
      { scheme: "bearer", params: { realm: "unterminated" } },
    ]);
    assert.deepEqual(parseChallenges('"junk", Basic realm=r'), [
      { scheme: "basic", params: { realm: "r" } },
    ]);
    assert.deepEqual(parseChallenges([]), []);
  });

  it("parses error parameters of a 401 after a token", () => {
    const [c] = parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/x:pull,push",error="insufficient_scope"',
    );
    assert.equal(c.params.error, "insufficient_scope");
    assert.equal(c.params.scope, "repository:library/x:pull,push");
  });
});
