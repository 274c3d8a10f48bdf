/**
 * Command-line parsing for `scratchbuild build`: flags in, one build plan out.
 * Pure (no I/O), so every flag and every error message is unit-tested; the
 * environment comes in as a plain object.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import type { Compression, ImageFormat } from "./image/media_types.ts";
import { parsePlatform } from "./image/platform.ts";
import type { Platform } from "./image/types.ts";
import { type OutputSpec, parseOutputSpec } from "./output/spec.ts";

/** Everything one `scratchbuild build` run does, decided before any work starts. */
export interface BuildPlan {
  /** Sources, `SRC[:DEST]`, in order. */
  sources: { src: string; dest?: string }[];
  /** Target platform. */
  platform: Platform;
  /** Manifest family. */
  format: ImageFormat;
  /** Layer compression. */
  compression: Compression;
  /** gzip level. */
  compressionLevel: number;
  /** Owner of every entry, when `--owner` was given. */
  owner?: { uid: number; gid: number };
  /** mtime of every entry (seconds). */
  mtime: number;
  /** Config `created` (seconds). */
  created: number;
  /** Entrypoint argv. */
  entrypoint?: string[];
  /** Cmd argv. */
  cmd?: string[];
  /** Environment. */
  env: Record<string, string>;
  /** Working directory. */
  workdir?: string;
  /** User. */
  user?: string;
  /** Exposed ports. */
  exposedPorts: string[];
  /** Volumes. */
  volumes: string[];
  /** Labels. */
  labels: Record<string, string>;
  /** Stop signal. */
  stopSignal?: string;
  /** Manifest annotations (OCI). */
  annotations: Record<string, string>;
  /** Local outputs. */
  outputs: OutputSpec[];
  /** Registry references to push to. */
  tags: string[];
  /** Allow plain HTTP to non-loopback registries. */
  insecure: boolean;
  /** Registry user name. */
  username?: string;
  /** Read the password from standard input. */
  passwordStdin: boolean;
  /** A static bearer token. */
  token?: string;
  /** Chunked upload size in bytes (0: monolithic). */
  chunkSize: number;
  /** Concurrent blob uploads. */
  concurrency: number;
  /** Print one JSON object on stdout. */
  json: boolean;
  /** Print no progress on stderr. */
  quiet: boolean;
}

/** What the command line asked for. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "build"; plan: BuildPlan };

/** The usage text of the CLI. */
export const USAGE = `Usage: scratchbuild build [SRC[:DEST]...] [options]

Build a container image from files, write it locally and/or push it.
SRC is a folder (its contents go under DEST, default /) or a file (goes to
DEST, default /<name>).

Image:
  --entrypoint ARGV        JSON array or shell words, e.g. '["/app","serve"]'
  --cmd ARGV               default arguments, same forms
  --env K=V                environment variable (repeatable)
  --workdir DIR            working directory
  --user USER[:GROUP]      user to run as
  --expose PORT[/PROTO]    exposed port (repeatable)
  --volume DIR             volume (repeatable)
  --label K=V              label (repeatable)
  --stop-signal SIGNAL     stop signal
  --annotation K=V         manifest annotation, OCI format (repeatable)
  --platform OS/ARCH[/V]   default linux/amd64
  --format docker|oci      manifest media types, default docker
  --compression gzip|none  layer compression, default gzip
  --compression-level N    gzip level 0-9, default 6
  --owner UID:GID          owner of every file, default 0:0
  --mtime SECONDS          file times, default $SOURCE_DATE_EPOCH or 0
  --created TIME           config time: SECONDS, RFC 3339 or "now";
                           default $SOURCE_DATE_EPOCH or 0

Outputs:
  -o, --output SPEC        oci:DIR[:TAG] | oci-archive:FILE[:TAG] |
                           docker-archive:FILE[:REPO:TAG] (repeatable)
  -t, --tag REF            push to [HOST[:PORT]/]NAME[:TAG] (repeatable)
  --insecure               allow plain HTTP to non-loopback registries
  --username USER          registry user (password via --password-stdin)
  --password-stdin         read the registry password from stdin
  --token TOKEN            static bearer token (or $SCRATCHBUILD_TOKEN)
  --chunk-size BYTES       upload in PATCH chunks of this size
  --concurrency N          parallel blob uploads, default 4
  --json                   print a JSON report on stdout
  -q, --quiet              no progress on stderr

  -h, --help               this text
  --version                the version
`;

type FlagKind = "value" | "repeat" | "bool";

const FLAGS: Record<string, FlagKind> = {
  "--entrypoint": "value",
  "--cmd": "value",
  "--env": "repeat",
  "--workdir": "value",
  "--user": "value",
  "--expose": "repeat",
  "--volume": "repeat",
  "--label": "repeat",
  "--stop-signal": "value",
  "--annotation": "repeat",
  "--platform": "value",
  "--format": "value",
  "--compression": "value",
  "--compression-level": "value",
  "--owner": "value",
  "--mtime": "value",
  "--created": "value",
  "--output": "repeat",
  "--tag": "repeat",
  "--insecure": "bool",
  "--username": "value",
  "--password-stdin": "bool",
  "--token": "value",
  "--chunk-size": "value",
  "--concurrency": "value",
  "--json": "bool",
  "--quiet": "bool",
  "--help": "bool",
  "--version": "bool",
};

const SHORT: Record<string, string> = {
  "-o": "--output",
  "-t": "--tag",
  "-q": "--quiet",
  "-h": "--help",
};

/**
 * Splits a command line into words like a POSIX shell does for quoting:
 * single quotes are literal, double quotes allow `\"` and `\\`, a backslash
 * outside quotes escapes the next character. No expansion of any kind.
 *
 * @example
 * ```ts
 * import { shellWords } from "./cli_args.ts";
 * console.log(shellWords(`/app --name "my app" 'a b'`)); // ["/app", "--name", "my app", "a b"]
 * ```
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) word += line[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`Cannot split "${line}" into words: unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/**
 * Parses an argv value: a JSON array of strings, or shell-style words.
 *
 * @example
 * ```ts
 * import { parseArgv } from "./cli_args.ts";
 * console.log(parseArgv("--cmd", '["serve", "--port=80"]')); // ["serve", "--port=80"]
 * console.log(parseArgv("--cmd", "serve --port=80")); // ["serve", "--port=80"]
 * ```
 */
export function parseArgv(flag: string, value: string): string[] {
  if (value.trimStart().startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new UsageError(
        `Cannot parse ${flag} ${value}: it starts with "[" but is not valid JSON`,
      );
    }
    if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) {
      throw new UsageError(`Cannot parse ${flag} ${value}: expected a JSON array of strings`);
    }
    return parsed;
  }
  try {
    return shellWords(value);
  } catch (e) {
    throw new UsageError(
      `Cannot parse ${flag} ${value}: ${(e as Error).message.replace(/^.*: /, "")}`,
    );
  }
}

/**
 * Parses a source, `SRC[:DEST]`. DEST must be absolute and may not contain `..`.
 *
 * @example
 * ```ts
 * import { parseSourceSpec } from "./cli_args.ts";
 * console.log(parseSourceSpec("dist/app:/usr/local/bin/app")); // { src: "dist/app", dest: "/usr/local/bin/app" }
 * ```
 */
export function parseSourceSpec(spec: string): { src: string; dest?: string } {
  const at = spec.indexOf(":");
  if (at === -1) return { src: spec };
  const src = spec.slice(0, at);
  const dest = spec.slice(at + 1);
  if (src === "") throw new UsageError(`Cannot use source "${spec}": SRC is empty`);
  if (!dest.startsWith("/")) {
    throw new UsageError(`Cannot use source "${spec}": DEST "${dest}" must be an absolute path`);
  }
  if (dest.split("/").includes("..")) {
    throw new UsageError(`Cannot use source "${spec}": DEST "${dest}" must not contain ".."`);
  }
  return { src, dest };
}

function parseKeyValue(flag: string, value: string): [string, string] {
  const at = value.indexOf("=");
  if (at <= 0) throw new UsageError(`Cannot parse ${flag} "${value}": expected KEY=VALUE`);
  return [value.slice(0, at), value.slice(at + 1)];
}

function parseInteger(flag: string, value: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(
      `Cannot parse ${flag} "${value}": expected a whole number from ${min} to ${max}`,
    );
  }
  return Number(value);
}

function parseSize(flag: string, value: string): number {
  const m = /^([0-9]+)([kmg]i?b?)?$/i.exec(value);
  if (!m) {
    throw new UsageError(`Cannot parse ${flag} "${value}": expected a size like 5242880 or 5MiB`);
  }
  const unit = (m[2] ?? "").toLowerCase()[0];
  const factor = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  const size = Number(m[1]) * factor;
  if (size < 1) throw new UsageError(`Cannot use ${flag} "${value}": it must be at least 1 byte`);
  return size;
}

function parseEpoch(what: string, value: string): number {
  if (!/^[0-9]+$/.test(value)) {
    throw new UsageError(`Cannot parse ${what} "${value}": expected whole seconds since 1970`);
  }
  return Number(value);
}

function parseCreated(value: string, now: () => number): number {
  if (value === "now") return Math.floor(now() / 1000);
  if (/^[0-9]+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms) || ms < 0) {
    throw new UsageError(
      `Cannot parse --created "${value}": expected seconds since 1970, an RFC 3339 time or "now"`,
    );
  }
  return Math.floor(ms / 1000);
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`Cannot use ${flag} "${value}": expected one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/**
 * Parses the command line of `scratchbuild`. `env` supplies
 * `SOURCE_DATE_EPOCH` and `SCRATCHBUILD_TOKEN`; `now` is asked only for
 * `--created now`.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./cli_args.ts";
 * const cmd = parseCommand(["build", "dist:/app", "--entrypoint", "/app/server", "-o", "oci:out"], {});
 * if (cmd.kind === "build") console.log(cmd.plan.entrypoint); // ["/app/server"]
 * ```
 */
export function parseCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  now: () => number = Date.now,
): Command {
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const rawName = arg.startsWith("--") && eq !== -1 ? arg.slice(0, eq) : arg;
    const name = SHORT[rawName] ?? rawName;
    const kind = FLAGS[name];
    if (kind === undefined) {
      throw new UsageError(
        `Cannot parse arguments: unknown flag "${rawName}" (see scratchbuild --help)`,
      );
    }
    let value: string;
    if (kind === "bool") {
      if (eq !== -1 && arg.startsWith("--")) {
        throw new UsageError(`Cannot parse arguments: ${name} takes no value`);
      }
      value = "true";
    } else if (eq !== -1 && arg.startsWith("--")) {
      value = arg.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length) {
        throw new UsageError(`Cannot parse arguments: ${name} needs a value`);
      }
      value = argv[++i];
    }
    if (kind !== "repeat" && values.has(name)) {
      throw new UsageError(`Cannot parse arguments: ${name} given more than once`);
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const one = (name: string): string | undefined => values.get(name)?.[0];
  const all = (name: string): string[] => values.get(name) ?? [];

  if (values.has("--help")) return { kind: "help" };
  if (values.has("--version")) return { kind: "version" };
  const [command, ...rest] = positional;
  if (command === undefined) return { kind: "help" };
  if (command !== "build") {
    throw new UsageError(
      `Cannot run "${command}": unknown command; try "scratchbuild build --help"`,
    );
  }

  const sources = rest.map(parseSourceSpec);

  const sde = env.SOURCE_DATE_EPOCH;
  const epoch = sde === undefined || sde === "" ? 0 : parseEpoch("SOURCE_DATE_EPOCH", sde);
  const ownerValue = one("--owner");
  let owner: BuildPlan["owner"];
  if (ownerValue !== undefined) {
    const m = /^([0-9]+):([0-9]+)$/.exec(ownerValue);
    if (!m) {
      throw new UsageError(
        `Cannot parse --owner "${ownerValue}": expected UID:GID, e.g. 65532:65532`,
      );
    }
    owner = { uid: Number(m[1]), gid: Number(m[2]) };
  }
  const entrypoint = one("--entrypoint");
  const cmd = one("--cmd");
  const mtime = one("--mtime");
  const created = one("--created");
  const level = one("--compression-level");
  const chunk = one("--chunk-size");
  const concurrency = one("--concurrency");
  const plan: BuildPlan = {
    sources,
    platform: parsePlatform(one("--platform") ?? "linux/amd64"),
    format: oneOf("--format", one("--format") ?? "docker", ["docker", "oci"] as const),
    compression: oneOf("--compression", one("--compression") ?? "gzip", ["gzip", "none"] as const),
    compressionLevel: level === undefined ? 6 : parseInteger("--compression-level", level, 0, 9),
    owner,
    mtime: mtime === undefined ? epoch : parseEpoch("--mtime", mtime),
    created: created === undefined ? epoch : parseCreated(created, now),
    entrypoint: entrypoint === undefined ? undefined : parseArgv("--entrypoint", entrypoint),
    cmd: cmd === undefined ? undefined : parseArgv("--cmd", cmd),
    env: Object.fromEntries(all("--env").map((v) => parseKeyValue("--env", v))),
    workdir: one("--workdir"),
    user: one("--user"),
    exposedPorts: all("--expose"),
    volumes: all("--volume"),
    labels: Object.fromEntries(all("--label").map((v) => parseKeyValue("--label", v))),
    stopSignal: one("--stop-signal"),
    annotations: Object.fromEntries(
      all("--annotation").map((v) => parseKeyValue("--annotation", v)),
    ),
    outputs: all("--output").map(parseOutputSpec),
    tags: all("--tag"),
    insecure: values.has("--insecure"),
    username: one("--username"),
    passwordStdin: values.has("--password-stdin"),
    // Flags beat the environment: a --username login is not overridden by an env token.
    token: one("--token") ??
      (one("--username") === undefined ? env.SCRATCHBUILD_TOKEN || undefined : undefined),
    chunkSize: chunk === undefined ? 0 : parseSize("--chunk-size", chunk),
    concurrency: concurrency === undefined ? 4 : parseInteger("--concurrency", concurrency, 1, 64),
    json: values.has("--json"),
    quiet: values.has("--quiet"),
  };
  if (plan.sources.length === 0) {
    throw new UsageError("Cannot build: no sources given; name at least one SRC[:DEST]");
  }
  if (plan.workdir !== undefined && !plan.workdir.startsWith("/")) {
    throw new UsageError(`Cannot use --workdir "${plan.workdir}": it must be an absolute path`);
  }
  for (const v of plan.volumes) {
    if (!v.startsWith("/")) {
      throw new UsageError(`Cannot use --volume "${v}": it must be an absolute path`);
    }
  }
  if (Object.keys(plan.annotations).length > 0 && plan.format !== "oci") {
    throw new UsageError(
      "Cannot use --annotation with --format docker: annotations need --format oci",
    );
  }
  if (plan.passwordStdin && plan.username === undefined) {
    throw new UsageError("Cannot use --password-stdin without --username");
  }
  if (plan.username !== undefined && !plan.passwordStdin) {
    throw new UsageError(
      "Cannot use --username without --password-stdin: pipe the password in, e.g. `echo $PASS | scratchbuild … --username me --password-stdin`",
    );
  }
  if ((plan.username !== undefined || values.has("--token")) && plan.tags.length === 0) {
    throw new UsageError("Cannot use registry credentials without --tag: there is nothing to push");
  }
  return { kind: "build", plan };
}
