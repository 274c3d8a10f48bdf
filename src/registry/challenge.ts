/**
 * A parser for `WWW-Authenticate` headers (RFC 9110 section 11.6.1). One
 * header can hold several challenges and a challenge's parameters are also
 * comma-separated, so the parser has to look ahead to tell a new challenge
 * (`, Bearer realm=...`) from another parameter (`, service=...`).
 *
 * @module
 */

/**
 * One authentication challenge.
 *
 * @example
 * ```ts
 * import { type Challenge, findChallenge } from "./challenge.ts";
 * const challenge: Challenge = {
 *   scheme: "bearer",
 *   params: { realm: "https://auth.example/token", service: "registry" },
 * };
 * console.log(findChallenge([challenge], "Bearer")?.params.realm); // https://auth.example/token
 * ```
 */
export interface Challenge {
  /** The auth scheme, lowercased (`basic`, `bearer`). */
  scheme: string;
  /** Parameters, keys lowercased, values unquoted and unescaped. */
  params: Record<string, string>;
  /** The token68 form, for challenges that carry one instead of parameters. */
  token68?: string;
}

// RFC 9110 tchar.
const TCHAR_RE = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
// RFC 9110 token68 characters (without the trailing "=" padding).
const TOKEN68_RE = /[-._~+/0-9A-Za-z]/;

/**
 * Parses one or more `WWW-Authenticate` header values into challenges, in
 * order. Malformed trailing input is ignored rather than rejected: a registry
 * that sends a sloppy header should still get its realm read.
 *
 * @example
 * ```ts
 * import { parseChallenges } from "./challenge.ts";
 * const [c] = parseChallenges(
 *   'Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull,push"',
 * );
 * console.log(c.scheme, c.params.scope); // bearer repository:a/b:pull,push
 * ```
 */
export function parseChallenges(header: string | string[]): Challenge[] {
  const values = typeof header === "string" ? [header] : header;
  const out: Challenge[] = [];
  for (const value of values) _parseOne(value, out);
  return out;
}

function _parseOne(s: string, out: Challenge[]): void {
  let i = 0;
  const n = s.length;
  const skipWS = () => {
    while (i < n && (s[i] === " " || s[i] === "\t")) i++;
  };
  const skipSeparators = () => {
    while (i < n && (s[i] === " " || s[i] === "\t" || s[i] === ",")) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TCHAR_RE.test(s[i])) i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    // Caller checked s[i] === '"'. An unterminated string runs to the end.
    i++;
    let v = "";
    while (i < n && s[i] !== '"') {
      if (s[i] === "\\" && i + 1 < n) i++;
      v += s[i++];
    }
    if (i < n) i++;
    return v;
  };
  // At i: does "token BWS = BWS value" start here (an auth-param)? A "=" that
  // is followed by another "=", a comma or the end belongs to a token68.
  const paramAhead = (): boolean => {
    let j = i;
    while (j < n && TCHAR_RE.test(s[j])) j++;
    if (j === i) return false;
    while (j < n && (s[j] === " " || s[j] === "\t")) j++;
    if (s[j] !== "=") return false;
    j++;
    while (j < n && (s[j] === " " || s[j] === "\t")) j++;
    return j < n && s[j] !== "=" && s[j] !== ",";
  };

  while (true) {
    skipSeparators();
    if (i >= n) return;
    const scheme = readToken();
    if (scheme === "") {
      // Not a token: skip to the next list element and resynchronise.
      while (i < n && s[i] !== ",") i++;
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    skipWS();
    if (i >= n) return;
    if (s[i] === ",") continue;

    if (!paramAhead()) {
      const start = i;
      while (i < n && TOKEN68_RE.test(s[i])) i++;
      while (i < n && s[i] === "=") i++;
      if (i > start) challenge.token68 = s.slice(start, i);
      skipWS();
      // Whatever follows a token68 must be a separator before the next challenge.
      while (i < n && s[i] !== ",") i++;
      continue;
    }

    // Parameters until the next element is not a parameter (a new challenge).
    while (true) {
      const key = readToken().toLowerCase();
      skipWS();
      i++; // "="
      skipWS();
      const value = s[i] === '"' ? readQuoted() : readToken();
      if (key !== "__proto__" && !Object.hasOwn(challenge.params, key)) {
        challenge.params[key] = value;
      }
      skipWS();
      // Skip anything unexpected up to the next comma.
      while (i < n && s[i] !== ",") i++;
      skipSeparators();
      if (i >= n || !paramAhead()) break;
    }
  }
}

/**
 * Finds the first challenge of a scheme.
 *
 * @example
 * ```ts
 * import { findChallenge, parseChallenges } from "./challenge.ts";
 * const all = parseChallenges('Basic realm="x", Bearer realm="https://a/t"');
 * console.log(findChallenge(all, "Bearer")?.params.realm); // https://a/t
 * ```
 */
export function findChallenge(challenges: Challenge[], scheme: string): Challenge | undefined {
  const want = scheme.toLowerCase();
  return challenges.find((c) => c.scheme === want);
}
