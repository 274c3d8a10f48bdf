/**
 * The error hierarchy of scratchbuild. Every error has a stable `code` that
 * scripts can match on, and a message written for the person at the terminal:
 * "Cannot X: reason". User mistakes ({@link UsageError}, exit code 2) are
 * printed without a stack trace; everything else exits with code 1.
 *
 * @module
 */

/**
 * Stable machine-readable error codes.
 *
 * @example
 * ```ts
 * import { type ErrorCode, ScratchbuildError } from "./errors.ts";
 * const code: ErrorCode = "INPUT";
 * console.log(new ScratchbuildError(code, "Cannot read ./bin: no such file").code); // INPUT
 * ```
 */
export type ErrorCode =
  | "USAGE"
  | "INPUT"
  | "OUTPUT"
  | "AUTH"
  | "DENIED"
  | "REGISTRY"
  | "NETWORK"
  | "DIGEST_MISMATCH";

/**
 * Base class of every error scratchbuild throws on purpose.
 *
 * @example
 * ```ts
 * import { ScratchbuildError } from "./errors.ts";
 * try {
 *   throw new ScratchbuildError("INPUT", "Cannot read ./bin: no such file");
 * } catch (e) {
 *   if (e instanceof ScratchbuildError) console.log(e.code); // "INPUT"
 * }
 * ```
 */
export class ScratchbuildError extends Error {
  /** The stable error code. */
  readonly code: ErrorCode;
  /** The process exit code the CLI uses for this error. */
  readonly exitCode: number;

  /** Creates an error with a code and a user-facing message. */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ScratchbuildError";
    this.code = code;
    this.exitCode = code === "USAGE" ? 2 : 1;
  }
}

/**
 * A mistake in how the tool was called: an unknown flag, a malformed value, a
 * bad path. The CLI exits with code 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 * const e = new UsageError("Cannot parse --env FOO: expected KEY=VALUE");
 * console.log(e.exitCode); // 2
 * ```
 */
export class UsageError extends ScratchbuildError {
  /** Creates a usage error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super("USAGE", message, options);
    this.name = "UsageError";
  }
}

/**
 * A problem with the files going into the image: missing, unreadable, of an
 * unsupported type.
 *
 * @example
 * ```ts
 * import { InputError } from "./errors.ts";
 * const e = new InputError("Cannot add /dev/null: character devices are not supported");
 * console.log(e.code); // "INPUT"
 * ```
 */
export class InputError extends ScratchbuildError {
  /** Creates an input error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super("INPUT", message, options);
    this.name = "InputError";
  }
}

/**
 * A failure talking to a registry. `status` is the HTTP status when there was
 * a response.
 *
 * @example
 * ```ts
 * import { RegistryError } from "./errors.ts";
 * const e = new RegistryError("AUTH", "Cannot push: authentication failed for example.com", 401);
 * console.log(e.status); // 401
 * ```
 */
export class RegistryError extends ScratchbuildError {
  /** The HTTP status of the response that caused the error, if any. */
  readonly status?: number;

  /** Creates a registry error. */
  constructor(
    code: ErrorCode,
    message: string,
    status?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = "RegistryError";
    this.status = status;
  }
}
