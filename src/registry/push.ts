/**
 * Pushes an in-memory image to one or more repositories with the OCI
 * distribution API: every blob is checked with `HEAD`, mounted from another
 * repository of the same registry when possible, uploaded otherwise
 * (monolithic `POST` + `PUT`, or chunked `PATCH`es), and the manifest is put
 * under each tag only once every blob is confirmed.
 *
 * @module
 */

import type { Digest } from "../digest.ts";
import { RegistryError, UsageError } from "../errors.ts";
import type { Image } from "../image/image.ts";
import { pullScope, pushScope } from "./auth.ts";
import { formatReference, parseReference, type Reference } from "./reference.ts";
import {
  appendQuery,
  type RegistryRequest,
  type RegistryResponse,
  resolveLocation,
  Transport,
  type TransportOptions,
} from "./transport.ts";

/**
 * How a blob came to be in the target repository.
 *
 * @example
 * ```ts
 * import type { BlobStatus } from "./push.ts";
 * const status: BlobStatus = "mounted";
 * const verbs: Record<BlobStatus, string> = { uploaded: "sent", mounted: "mounted", present: "kept" };
 * console.log(verbs[status]); // mounted
 * ```
 */
export type BlobStatus = "uploaded" | "mounted" | "present";

/**
 * A progress event of {@link pushImage}.
 *
 * @example
 * ```ts
 * import type { PushEvent } from "./push.ts";
 * const event: PushEvent = {
 *   type: "blob-done",
 *   registry: "ghcr.io",
 *   repository: "example/app",
 *   digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
 *   size: 32,
 *   status: "uploaded",
 * };
 * if (event.type === "blob-done") console.log(event.status); // uploaded
 * ```
 */
export type PushEvent =
  | {
    /** A blob is being checked or sent. */
    type: "blob-start";
    registry: string;
    repository: string;
    digest: Digest;
    size: number;
  }
  | {
    /** Bytes of a chunked upload confirmed so far. */
    type: "blob-progress";
    registry: string;
    repository: string;
    digest: Digest;
    size: number;
    bytes: number;
  }
  | {
    /** A blob is in the repository. */
    type: "blob-done";
    registry: string;
    repository: string;
    digest: Digest;
    size: number;
    status: BlobStatus;
  }
  | {
    /** The manifest was stored under a tag (or by digest). */
    type: "manifest-done";
    registry: string;
    repository: string;
    reference: string;
    digest: Digest;
  };

/**
 * Options of {@link pushImage}; transport options apply when no `transport` is given.
 *
 * @example
 * ```ts
 * import type { PushOptions } from "./push.ts";
 * const options: PushOptions = {
 *   chunkSize: 5 * 1024 * 1024,
 *   concurrency: 2,
 *   defaultTag: "v1",
 *   mountFrom: ["ghcr.io/example/base"],
 *   onProgress: (event) => console.log(event.type),
 * };
 * console.log(options.defaultTag); // v1
 * ```
 */
export interface PushOptions extends TransportOptions {
  /** A transport to reuse (its token cache and credentials); default a new one from these options. */
  transport?: Transport;
  /** Upload blobs in `PATCH` chunks of this many bytes; default monolithic. */
  chunkSize?: number;
  /** Blobs uploaded at the same time; default 4. */
  concurrency?: number;
  /**
   * Repositories (`HOST/NAME` references or {@link Reference}s) that may
   * already hold the image's blobs; missing blobs are mounted from the first
   * one on the target's registry instead of uploaded.
   */
  mountFrom?: Array<string | Pick<Reference, "registry" | "repository">>;
  /** Tag used for targets that name neither tag nor digest; default `latest`. */
  defaultTag?: string;
  /** Called on every progress event. */
  onProgress?: (event: PushEvent) => void;
}

/**
 * One blob's outcome in one repository.
 *
 * @example
 * ```ts
 * import type { PushedBlob } from "./push.ts";
 * const blob: PushedBlob = {
 *   digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
 *   size: 32,
 *   status: "present",
 *   registry: "ghcr.io",
 *   repository: "example/app",
 * };
 * console.log(`${blob.registry}/${blob.repository}: ${blob.status}`); // ghcr.io/example/app: present
 * ```
 */
export interface PushedBlob {
  /** Blob digest. */
  digest: Digest;
  /** Blob size in bytes. */
  size: number;
  /** Uploaded, mounted from another repository, or already present. */
  status: BlobStatus;
  /** Registry host. */
  registry: string;
  /** Repository name. */
  repository: string;
}

/**
 * The outcome of {@link pushImage}.
 *
 * @example
 * ```ts
 * import type { PushResult } from "./push.ts";
 * const result: PushResult = {
 *   digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
 *   pushed: ["ghcr.io/example/app:v1@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"],
 *   blobs: [],
 * };
 * console.log(result.pushed.length); // 1
 * ```
 */
export interface PushResult {
  /** The manifest digest. */
  digest: Digest;
  /** Every reference written, as `HOST/NAME:TAG@DIGEST` (or `HOST/NAME@DIGEST`). */
  pushed: string[];
  /** Each blob in each repository. */
  blobs: PushedBlob[];
}

interface _Blob {
  digest: Digest;
  size: number;
  data: Uint8Array;
}

interface _Target {
  registry: string;
  repository: string;
  /** Tags, or the digest for a digest-only reference. */
  references: string[];
}

interface _RepoContext {
  transport: Transport;
  registry: string;
  repository: string;
  scopes: string[];
  mountSource?: string;
  action: string;
  chunkSize?: number;
  onProgress?: (event: PushEvent) => void;
}

const UPLOAD_CONTENT_TYPE = "application/octet-stream";

/**
 * Pushes an image to every target. Targets in the same repository share one
 * blob upload and get one manifest `PUT` per tag; further repositories on the
 * same registry mount the blobs from the first one.
 *
 * @example
 * ```ts ignore
 * import { pushImage } from "./push.ts";
 * import type { Image } from "../image/image.ts";
 * declare const image: Image;
 * const result = await pushImage(image, ["localhost:5000/app:v1", "localhost:5000/app:latest"], {
 *   credentials: { username: "me", password: "secret" },
 *   onProgress: (e) => e.type === "blob-done" && console.error(e.digest, e.status),
 * });
 * console.log(result.pushed);
 * ```
 */
export async function pushImage(
  image: Image,
  targets: Array<string | Reference>,
  options: PushOptions = {},
): Promise<PushResult> {
  if (targets.length === 0) throw new UsageError("Cannot push: no target reference given");
  if (options.chunkSize !== undefined && !(options.chunkSize >= 1)) {
    throw new UsageError(`Cannot push: chunk size ${options.chunkSize} is not a positive number`);
  }
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const digest = image.manifestBlob.descriptor.digest;
  const groups = _groupTargets(targets, digest, options.defaultTag ?? "latest");
  const transport = options.transport ?? new Transport(options);
  const extraSources = (options.mountFrom ?? []).map((m) =>
    typeof m === "string" ? parseReference(m) : m
  );

  const layers = _uniqueBlobs(
    image.layers.map((l) => ({ digest: l.digest, size: l.size, data: l.data })),
  );
  const config: _Blob = {
    digest: image.configBlob.descriptor.digest,
    size: image.configBlob.bytes.byteLength,
    data: image.configBlob.bytes,
  };

  const result: PushResult = { digest, pushed: [], blobs: [] };
  // Repositories per registry that hold every blob of this image by now.
  const complete = new Map<string, string[]>();
  for (const target of groups) {
    const { registry, repository } = target;
    const sources = [
      ...(complete.get(registry) ?? []),
      ...extraSources.filter((s) => s.registry === registry).map((s) => s.repository),
    ].filter((r) => r !== repository);
    const mountSource = sources[0];
    const ctx: _RepoContext = {
      transport,
      registry,
      repository,
      scopes: [pushScope(repository), ...(mountSource ? [pullScope(mountSource)] : [])],
      mountSource,
      action: `push to ${registry}/${repository}`,
      chunkSize: options.chunkSize,
      onProgress: options.onProgress,
    };

    const statuses = new Map<Digest, BlobStatus>();
    await _pool(layers, concurrency, async (blob) => {
      statuses.set(blob.digest, await _pushBlob(ctx, blob));
    });
    if (!layers.some((l) => l.digest === config.digest)) {
      statuses.set(config.digest, await _pushBlob(ctx, config));
    }
    for (const blob of [...layers, config]) {
      const status = statuses.get(blob.digest);
      if (
        status &&
        !result.blobs.some((b) =>
          b.digest === blob.digest && b.registry === registry && b.repository === repository
        )
      ) {
        result.blobs.push({ digest: blob.digest, size: blob.size, status, registry, repository });
      }
    }

    for (const reference of target.references) {
      await _putManifest(ctx, image, reference);
      const tagPart = reference === digest ? "" : `:${reference}`;
      result.pushed.push(`${registry}/${repository}${tagPart}@${digest}`);
    }
    complete.set(registry, [...(complete.get(registry) ?? []), repository]);
  }
  return result;
}

function _groupTargets(
  targets: Array<string | Reference>,
  digest: Digest,
  defaultTag: string,
): _Target[] {
  const groups: _Target[] = [];
  for (const t of targets) {
    const ref = typeof t === "string" ? parseReference(t) : t;
    if (ref.digest !== undefined && ref.digest !== digest) {
      throw new UsageError(
        `Cannot push to ${
          formatReference(ref)
        }: the reference pins ${ref.digest} but the image is ${digest}`,
      );
    }
    const reference = ref.tag ?? (ref.digest !== undefined ? digest : defaultTag);
    let group = groups.find((g) => g.registry === ref.registry && g.repository === ref.repository);
    if (!group) {
      group = { registry: ref.registry, repository: ref.repository, references: [] };
      groups.push(group);
    }
    if (!group.references.includes(reference)) group.references.push(reference);
  }
  return groups;
}

function _uniqueBlobs(blobs: _Blob[]): _Blob[] {
  const seen = new Set<string>();
  return blobs.filter((b) => !seen.has(b.digest) && seen.add(b.digest) !== undefined);
}

async function _pushBlob(ctx: _RepoContext, blob: _Blob): Promise<BlobStatus> {
  const event = {
    registry: ctx.registry,
    repository: ctx.repository,
    digest: blob.digest,
    size: blob.size,
  };
  ctx.onProgress?.({ type: "blob-start", ...event });
  const status = await _sendBlob(ctx, blob);
  ctx.onProgress?.({ type: "blob-done", ...event, status });
  return status;
}

async function _sendBlob(ctx: _RepoContext, blob: _Blob): Promise<BlobStatus> {
  const blobPath = `/v2/${ctx.repository}/blobs/${blob.digest}`;
  // 401/403 are thrown by the transport: a blob we may not see is not "missing".
  const head = await _request(ctx, { method: "HEAD", url: blobPath, accept: [200, 404] });
  if (head.status === 200) return "present";

  const uploads = `/v2/${ctx.repository}/blobs/uploads/`;
  let session: RegistryResponse | undefined;
  if (ctx.mountSource) {
    try {
      const mount = await _request(ctx, {
        method: "POST",
        url: `${uploads}?mount=${encodeURIComponent(blob.digest)}&from=${
          encodeURIComponent(ctx.mountSource)
        }`,
        accept: [201, 202],
        retry: true,
      });
      if (mount.status === 201) {
        _checkDigest(ctx, mount, blob.digest, `mounting ${blob.digest}`);
        return "mounted";
      }
      session = mount;
    } catch (e) {
      // A refused mount is not fatal: the blob is uploaded instead.
      if (!(e instanceof RegistryError) || e.code === "DIGEST_MISMATCH") throw e;
    }
  }
  try {
    await _upload(ctx, blob, session);
  } catch (e) {
    // A failed session (a 5xx on a PATCH, a session the registry forgot) is
    // started over once. If the blob arrived although the answer was lost, the
    // HEAD says so.
    if (!(e instanceof RegistryError) || (e.code !== "REGISTRY" && e.code !== "NETWORK")) throw e;
    const check = await _request(ctx, { method: "HEAD", url: blobPath, accept: [200, 404] });
    if (check.status === 200) return "uploaded";
    await _upload(ctx, blob, undefined);
  }
  return "uploaded";
}

async function _upload(
  ctx: _RepoContext,
  blob: _Blob,
  started: RegistryResponse | undefined,
): Promise<void> {
  // Starting an upload twice only leaves an abandoned session behind, so it may be retried.
  const session = started ?? await _request(ctx, {
    method: "POST",
    url: `/v2/${ctx.repository}/blobs/uploads/`,
    accept: [202],
    retry: true,
  });
  let location = _location(ctx, session);

  if (ctx.chunkSize !== undefined && blob.size > 0) {
    const minimum = Number(session.headers.get("oci-chunk-min-length") ?? "0");
    const chunkSize = Math.max(ctx.chunkSize, Number.isFinite(minimum) ? minimum : 0);
    for (let offset = 0; offset < blob.size;) {
      const end = Math.min(offset + chunkSize, blob.size);
      const patch = await _request(ctx, {
        method: "PATCH",
        url: location,
        headers: {
          "content-type": UPLOAD_CONTENT_TYPE,
          "content-range": `${offset}-${end - 1}`,
        },
        body: blob.data.subarray(offset, end),
        accept: [202, 204],
        retry: false,
      });
      if (patch.headers.has("location")) location = _location(ctx, patch);
      offset = end;
      ctx.onProgress?.({
        type: "blob-progress",
        registry: ctx.registry,
        repository: ctx.repository,
        digest: blob.digest,
        size: blob.size,
        bytes: offset,
      });
    }
  }
  const monolithic = ctx.chunkSize === undefined || blob.size === 0;
  const done = await _request(ctx, {
    method: "PUT",
    url: appendQuery(location, "digest", blob.digest),
    headers: { "content-type": UPLOAD_CONTENT_TYPE },
    body: monolithic ? blob.data : new Uint8Array(0),
    accept: [201, 204],
  });
  _checkDigest(ctx, done, blob.digest, `uploading ${blob.digest}`);
}

async function _putManifest(ctx: _RepoContext, image: Image, reference: string): Promise<void> {
  const { descriptor, bytes } = image.manifestBlob;
  const res = await _request(ctx, {
    method: "PUT",
    url: `/v2/${ctx.repository}/manifests/${reference}`,
    headers: { "content-type": descriptor.mediaType },
    body: bytes,
    accept: [200, 201, 202, 204],
  });
  _checkDigest(ctx, res, descriptor.digest, `putting the manifest as ${reference}`);
  ctx.onProgress?.({
    type: "manifest-done",
    registry: ctx.registry,
    repository: ctx.repository,
    reference,
    digest: descriptor.digest,
  });
}

function _request(
  ctx: _RepoContext,
  req: Omit<RegistryRequest, "registry" | "scopes" | "action">,
): Promise<RegistryResponse> {
  return ctx.transport.request({
    ...req,
    registry: ctx.registry,
    scopes: ctx.scopes,
    action: ctx.action,
  });
}

function _location(ctx: _RepoContext, res: RegistryResponse): string {
  const location = res.headers.get("location");
  if (!location) {
    throw new RegistryError(
      "REGISTRY",
      `Cannot ${ctx.action}: ${ctx.registry} answered ${res.status} without a Location header`,
      res.status,
    );
  }
  return resolveLocation(location, res.url);
}

function _checkDigest(ctx: _RepoContext, res: RegistryResponse, want: Digest, what: string): void {
  const got = res.headers.get("docker-content-digest");
  if (got !== null && got !== "" && got !== want) {
    throw new RegistryError(
      "DIGEST_MISMATCH",
      `Cannot ${ctx.action}: ${ctx.registry} reports digest ${got} after ${what}, expected ${want}`,
      res.status,
    );
  }
}

/** Runs `fn` over `items` with at most `limit` running; stops starting new ones after a failure. */
async function _pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
