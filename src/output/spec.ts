/**
 * Output specs as the CLI takes them: `oci:DIR[:TAG]`,
 * `oci-archive:FILE[:TAG]` and `docker-archive:FILE[:REPO:TAG]`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/**
 * Where and how to write an image locally.
 *
 * @example
 * ```ts
 * import { formatOutputSpec, type OutputSpec } from "./spec.ts";
 * const spec: OutputSpec = { kind: "oci", path: "out/oci", tag: "latest" };
 * console.log(formatOutputSpec(spec)); // oci:out/oci:latest
 * ```
 */
export type OutputSpec =
  | { kind: "oci"; path: string; tag?: string }
  | { kind: "oci-archive"; path: string; tag?: string }
  | { kind: "docker-archive"; path: string; repoTag?: string };

const TAG_RE = /^[\w][\w.-]{0,127}$/;
const REPO_RE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function checkTag(spec: string, tag: string): string {
  if (!TAG_RE.test(tag)) {
    throw new UsageError(
      `Cannot use output "${spec}": tag "${tag}" is invalid (letters, digits, "_", "." and "-", up to 128, not starting with "." or "-")`,
    );
  }
  return tag;
}

/** Splits `REPO[:TAG]` where REPO may carry a registry port. */
function checkRepoTag(spec: string, value: string): string {
  const slash = value.lastIndexOf("/");
  const colon = value.lastIndexOf(":");
  const [repo, tag] = colon > slash
    ? [value.slice(0, colon), value.slice(colon + 1)]
    : [value, "latest"];
  if (!REPO_RE.test(repo) || repo.length > 255) {
    throw new UsageError(
      `Cannot use output "${spec}": repository "${repo}" is invalid (lowercase letters, digits and separators, e.g. example/app)`,
    );
  }
  return `${repo}:${checkTag(spec, tag)}`;
}

/**
 * Parses an output spec.
 *
 * @example
 * ```ts
 * import { parseOutputSpec } from "./spec.ts";
 * console.log(parseOutputSpec("docker-archive:out/app.tar:example/app:1.0"));
 * // { kind: "docker-archive", path: "out/app.tar", repoTag: "example/app:1.0" }
 * ```
 */
export function parseOutputSpec(spec: string): OutputSpec {
  const colon = spec.indexOf(":");
  const kind = colon === -1 ? spec : spec.slice(0, colon);
  const rest = colon === -1 ? "" : spec.slice(colon + 1);
  if (kind !== "oci" && kind !== "oci-archive" && kind !== "docker-archive") {
    throw new UsageError(
      `Cannot use output "${spec}": unknown kind "${kind}"; use oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REPO:TAG]`,
    );
  }
  const sep = rest.indexOf(":");
  const path = sep === -1 ? rest : rest.slice(0, sep);
  const ref = sep === -1 ? undefined : rest.slice(sep + 1);
  if (path === "") throw new UsageError(`Cannot use output "${spec}": the path is empty`);
  if (kind === "docker-archive") {
    return ref === undefined ? { kind, path } : { kind, path, repoTag: checkRepoTag(spec, ref) };
  }
  return ref === undefined ? { kind, path } : { kind, path, tag: checkTag(spec, ref) };
}

/**
 * Formats a spec back to its CLI form.
 *
 * @example
 * ```ts
 * import { formatOutputSpec } from "./spec.ts";
 * console.log(formatOutputSpec({ kind: "oci", path: "out/oci", tag: "latest" })); // "oci:out/oci:latest"
 * ```
 */
export function formatOutputSpec(spec: OutputSpec): string {
  const ref = spec.kind === "docker-archive" ? spec.repoTag : spec.tag;
  return `${spec.kind}:${spec.path}${ref === undefined ? "" : `:${ref}`}`;
}
