// Internal helpers that turn registry and token-server responses into short,
// secret-free sentences for error messages.

const MAX_MESSAGE = 300;

/**
 * Replaces every occurrence of each secret in `text` with `***`, drops control
 * characters and caps the length. Servers sometimes echo what they were sent
 * (a token in an error, a password in a form), so every server-provided string
 * goes through here before it reaches an error message.
 */
export function _redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 4) out = out.split(secret).join("***");
  }
  // deno-lint-ignore no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  if (out.length > MAX_MESSAGE) out = out.slice(0, MAX_MESSAGE - 1) + "…";
  return out;
}

/**
 * Summarises an error body: the registry's `{errors: [{code, message,
 * detail}]}`, a token server's `{details}`/`{error, error_description}`, or the
 * first line of plain text. Returns "" when there is nothing useful.
 */
export function _summariseBody(body: Uint8Array): { text: string; codes: string[] } {
  const raw = new TextDecoder().decode(body).trim();
  if (raw === "") return { text: "", codes: [] };
  try {
    const json = JSON.parse(raw);
    if (json && typeof json === "object") {
      if (Array.isArray(json.errors)) {
        const codes: string[] = [];
        const parts = json.errors.map((e: Record<string, unknown>) => {
          const code = typeof e?.code === "string" ? e.code : "";
          if (code) codes.push(code);
          const message = typeof e?.message === "string" ? e.message : "";
          // Structured details (distribution lists the access it wanted) mean
          // nothing to a person; string details are kept.
          const detail = typeof e?.detail === "string" ? e.detail : "";
          return [code, message].filter(Boolean).join(": ") + (detail ? ` (${detail})` : "");
        });
        return { text: parts.filter(Boolean).join("; "), codes };
      }
      const fields = ["details", "error_description", "message", "error"];
      for (const f of fields) {
        if (typeof json[f] === "string" && json[f] !== "") return { text: json[f], codes: [] };
      }
    }
  } catch {
    // Not JSON: fall through to plain text.
  }
  // HTML error pages from proxies say nothing useful beyond the status.
  if (raw.startsWith("<")) return { text: "", codes: [] };
  return { text: raw.split("\n")[0], codes: [] };
}

/** A URL without its query and fragment: upload and storage URLs carry signatures there. */
export function _displayURL(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.split("?")[0];
  }
}
