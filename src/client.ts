/**
 * The seed's `Client`: push a one-layer image built around a tar you already
 * have. A thin layer over {@link createImage}-style assembly and
 * {@link pushImage}; new code can call those directly.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { buildConfig } from "./image/config.ts";
import { assembleImage } from "./image/image.ts";
import type { ImageFormat } from "./image/media_types.ts";
import type { ContainerConfig, Platform } from "./image/types.ts";
import { layerFromTar } from "./layer.ts";
import { type Credentials, pushScope } from "./registry/auth.ts";
import { pushImage, type PushResult } from "./registry/push.ts";
import {
  DOCKER_HUB_REGISTRY,
  isLoopbackHost,
  makeReference,
  parseReference,
} from "./registry/reference.ts";
import { Transport } from "./registry/transport.ts";

/**
 * Options of {@link Client}, after the seed's `Options`.
 *
 * @example
 * ```ts
 * import { Client, type ClientOptions } from "./client.ts";
 * const options: ClientOptions = {
 *   name: "example/app",
 *   baseURL: "http://127.0.0.1:5000",
 *   tags: ["latest", "v1"],
 *   format: "oci",
 * };
 * const client = new Client(options);
 * console.log(client.token); // undefined
 * ```
 */
export interface ClientOptions {
  /** Repository name, e.g. `philpearl/test`. */
  name: string;
  /** Registry URL, e.g. `https://index.docker.io` or `http://127.0.0.1:5000`. */
  baseURL: string;
  /** One tag; default `latest` when neither `tag` nor `tags` is given. */
  tag?: string;
  /** Several tags: blobs are pushed once, the manifest once per tag. */
  tags?: string[];
  /** User name (Basic, or for a token server). */
  user?: string;
  /** Password. */
  password?: string;
  /** A bearer token used as is (e.g. `gcloud auth print-access-token`). */
  token?: string;
  /** Media type family of the manifest; default `docker`. */
  format?: ImageFormat;
  /** Platform; default linux/amd64. */
  platform?: Platform;
  /** Config `created` (seconds since the epoch); default 0. */
  created?: number;
  /** gzip level 0–9; default 6. */
  compressionLevel?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

function registryOf(baseURL: string): { host: string; insecure: boolean } {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new UsageError(`Cannot use baseURL "${baseURL}": expected a URL like https://ghcr.io`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`Cannot use baseURL "${baseURL}": expected http:// or https://`);
  }
  const host = url.host === "index.docker.io" || url.host === "docker.io"
    ? DOCKER_HUB_REGISTRY
    : url.host;
  return { host, insecure: url.protocol === "http:" && !isLoopbackHost(host) };
}

/**
 * A registry client for one repository, compatible with the seed's flow:
 * `new Client(options)`, `await client.auth()`, `await client.buildImage(config, tar)`.
 *
 * @example
 * ```ts ignore
 * import { Client, tarDirectory } from "../mod.ts";
 * const layer = await tarDirectory("./testdata/rootfs");
 * const client = new Client({ name: "hello", baseURL: "http://127.0.0.1:5000", tag: "latest" });
 * await client.auth();
 * await client.buildImage({ Entrypoint: ["/bin/hello"] }, layer);
 * ```
 */
export class Client {
  /** The bearer token from {@link Client.auth}, or the one given; the seed sets it by hand. */
  token?: string;
  readonly #options: ClientOptions;
  readonly #registry: string;
  readonly #insecure: boolean;
  #transport: Transport;
  /** The token {@link Client.#transport} already answers with (the one given or fetched). */
  #known?: string;

  /** Creates a client; nothing is sent until {@link Client.auth} or {@link Client.buildImage}. */
  constructor(options: ClientOptions) {
    this.#options = options;
    const { host, insecure } = registryOf(options.baseURL);
    this.#registry = host;
    this.#insecure = insecure;
    this.token = options.token;
    this.#known = options.token;
    let credentials: Credentials | undefined;
    if (options.token) credentials = { registryToken: options.token };
    else if (options.user !== undefined) {
      credentials = { username: options.user, password: options.password ?? "" };
    }
    this.#transport = new Transport({ credentials, insecure, fetch: options.fetch });
    // Refuse a bad name or tag now, not after a build.
    for (const tag of this.#tags()) parseReference(`${host}/${options.name}:${tag}`);
  }

  #tags(): string[] {
    const tags = [...(this.#options.tags ?? []), ...(this.#options.tag ? [this.#options.tag] : [])];
    return tags.length > 0 ? [...new Set(tags)] : ["latest"];
  }

  /**
   * Obtains (and caches) a bearer token with push access to the repository.
   * Returns it, or `undefined` for registries using Basic auth or none.
   */
  async auth(): Promise<string | undefined> {
    const header = await this.#transport.authorization(
      this.#registry,
      [pushScope(this.#options.name)],
      `push to ${this.#registry}/${this.#options.name}`,
    );
    if (header?.startsWith("Bearer ")) this.token = this.#known = header.slice("Bearer ".length);
    return header?.startsWith("Bearer ") ? this.token : undefined;
  }

  /**
   * Builds the config and manifest around an uncompressed tar layer, gzips
   * it deterministically and pushes everything, the manifest once per tag.
   */
  async buildImage(imageConfig: ContainerConfig, layer: Uint8Array): Promise<PushResult> {
    const o = this.#options;
    const format = o.format ?? "docker";
    const built = await layerFromTar(layer, { format, compressionLevel: o.compressionLevel });
    const config = buildConfig({ platform: o.platform, created: o.created }, 1);
    config.config = { ...imageConfig };
    const image = await assembleImage(config, [built], { format });
    const targets = this.#tags().map((tag) => makeReference(this.#registry, o.name, tag));
    if (this.token && this.token !== this.#known) {
      // The seed assigns `client.token` by hand: a token set that way is used as is.
      this.#transport = new Transport({
        credentials: { registryToken: this.token },
        insecure: this.#insecure,
        fetch: o.fetch,
      });
      this.#known = this.token;
    }
    return await pushImage(image, targets, { transport: this.#transport });
  }
}
