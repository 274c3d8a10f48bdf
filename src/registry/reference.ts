/**
 * Image references, `[HOST[:PORT]/]NAME[:TAG][@DIGEST]`, parsed the way the
 * Docker CLI does: a first path component is a registry host only when it
 * looks like one (contains `.` or `:`, or is `localhost`), everything else is
 * a Docker Hub repository.
 *
 * @module
 */

import { type Digest, isDigest } from "../digest.ts";
import { UsageError } from "../errors.ts";

/**
 * The host Docker Hub's registry API is served from.
 *
 * @example
 * ```ts
 * import { DOCKER_HUB_REGISTRY } from "./reference.ts";
 * console.log(DOCKER_HUB_REGISTRY); // registry-1.docker.io
 * ```
 */
export const DOCKER_HUB_REGISTRY = "registry-1.docker.io";

/**
 * A parsed image reference.
 *
 * @example
 * ```ts
 * import { formatReference, type Reference } from "./reference.ts";
 * const ref: Reference = {
 *   registry: "ghcr.io",
 *   repository: "example/app",
 *   tag: "v1",
 *   toString: () => formatReference(ref),
 * };
 * console.log(`${ref}`); // ghcr.io/example/app:v1
 * ```
 */
export interface Reference {
  /** Registry host with optional port, e.g. `ghcr.io`, `localhost:5000`, `[::1]:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/alpine`. */
  repository: string;
  /** Tag, when the reference names one. */
  tag?: string;
  /** Digest, when the reference pins one. */
  digest?: Digest;
  /** The reference in canonical `HOST/NAME[:TAG][@DIGEST]` form. */
  toString(): string;
}

const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const HOSTNAME_RE =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*$/;
const IPV6_RE = /^\[[a-fA-F0-9:.]+(?:%[\w.-]+)?\]$/;
const PORT_RE = /^[0-9]{1,5}$/;
const MAX_NAME_LENGTH = 255;

/**
 * Parses an image reference. A reference without a host names Docker Hub
 * (`registry-1.docker.io`), where single-component names live under
 * `library/`. The tag is left unset when the reference has none; callers pick
 * their default (`latest` for a push).
 *
 * @example
 * ```ts
 * import { parseReference } from "./reference.ts";
 * const ref = parseReference("localhost:5000/team/app:v1");
 * console.log(ref.registry, ref.repository, ref.tag); // localhost:5000 team/app v1
 * console.log(parseReference("alpine").toString()); // registry-1.docker.io/library/alpine
 * ```
 */
export function parseReference(s: string): Reference {
  const fail = (reason: string): never => {
    throw new UsageError(`Cannot parse reference "${s}": ${reason}`);
  };
  if (s === "") fail("it is empty");
  if (/\s/.test(s)) fail("it contains whitespace");

  let rest = s;
  let digest: Digest | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    const d = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(d)) {
      fail(`digest "${d}" is invalid: expected sha256: followed by 64 lowercase hex characters`);
    }
    digest = d as Digest;
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) {
      fail(
        `tag "${tag}" is invalid: a tag is 1 to 128 letters, digits, "_", "." or "-" and cannot start with "." or "-"`,
      );
    }
  }

  let registry = DOCKER_HUB_REGISTRY;
  let name = rest;
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (_looksLikeHost(first)) {
      registry = first;
      name = rest.slice(slash + 1);
      const reason = _hostProblem(registry);
      if (reason) fail(`registry "${registry}" is invalid: ${reason}`);
      registry = _normaliseHost(registry);
    }
  }

  if (name === "") fail("the repository name is empty");
  if (registry === DOCKER_HUB_REGISTRY && !name.includes("/")) name = `library/${name}`;
  for (const component of name.split("/")) {
    if (!COMPONENT_RE.test(component)) {
      fail(
        `repository "${name}" is invalid: path component "${component}" must be lowercase letters and digits separated by ".", "_", "__" or "-"`,
      );
    }
  }
  if (name.length > MAX_NAME_LENGTH) {
    fail(`repository "${name}" is invalid: it is longer than ${MAX_NAME_LENGTH} characters`);
  }
  return makeReference(registry, name, tag, digest);
}

/**
 * Builds a {@link Reference} from its parts without validating them.
 *
 * @example
 * ```ts
 * import { makeReference } from "./reference.ts";
 * console.log(makeReference("ghcr.io", "me/app", "v1").toString()); // ghcr.io/me/app:v1
 * ```
 */
export function makeReference(
  registry: string,
  repository: string,
  tag?: string,
  digest?: Digest,
): Reference {
  const ref: Reference = {
    registry,
    repository,
    toString: () => formatReference(ref),
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/**
 * Formats a reference as `HOST/NAME[:TAG][@DIGEST]`.
 *
 * @example
 * ```ts
 * import { formatReference } from "./reference.ts";
 * console.log(formatReference({ registry: "localhost:5000", repository: "app", tag: "v1" })); // localhost:5000/app:v1
 * ```
 */
export function formatReference(
  ref: Pick<Reference, "registry" | "repository" | "tag" | "digest">,
): string {
  let out = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/**
 * Whether a registry host (with or without port) is the local machine:
 * `localhost`, `127.0.0.0/8` or `[::1]`. Loopback registries are spoken to
 * over plain HTTP, as Docker does.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./reference.ts";
 * console.log(isLoopbackHost("localhost:5000")); // true
 * console.log(isLoopbackHost("[::1]:5000")); // true
 * console.log(isLoopbackHost("ghcr.io")); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = _stripPort(host).toLowerCase();
  return h === "localhost" || h === "[::1]" || h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function _stripPort(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(":");
  // Several colons without brackets: a bare IPv6 address, no port to strip.
  if (colon === -1 || host.indexOf(":", colon + 1) !== -1) return host;
  return host.slice(0, colon);
}

// Same rule as Docker: a first component is a host when it has a dot, a port
// or IPv6 brackets, is "localhost", or has uppercase letters (which
// repository names cannot).
function _looksLikeHost(first: string): boolean {
  return first.includes(".") || first.includes(":") || first.startsWith("[") ||
    first === "localhost" || first !== first.toLowerCase();
}

function _hostProblem(host: string): string | undefined {
  let hostname = host;
  let port: string | undefined;
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end === -1) return "unclosed IPv6 bracket";
    hostname = host.slice(0, end + 1);
    const after = host.slice(end + 1);
    if (after !== "") {
      if (!after.startsWith(":")) return "unexpected characters after the IPv6 address";
      port = after.slice(1);
    }
    if (!IPV6_RE.test(hostname)) return "malformed IPv6 address";
  } else {
    const colon = host.indexOf(":");
    if (colon !== -1) {
      hostname = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
    if (!HOSTNAME_RE.test(hostname)) return "malformed host name";
  }
  if (port !== undefined && (!PORT_RE.test(port) || Number(port) > 65535)) {
    return `port "${port}" is not a number from 0 to 65535`;
  }
  return undefined;
}

function _normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  if (lower === "docker.io" || lower === "index.docker.io" || lower === DOCKER_HUB_REGISTRY) {
    return DOCKER_HUB_REGISTRY;
  }
  return lower;
}
