import type { OperationSpec } from "./spec";

/** Shell-quotes one argument for the reference page's curl examples. */
function quote(value: string): string {
  return /^[\w@%+=:,./$-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The credentials part of a curl call, as each auth scheme expects them (project `demo`, key in $VIGIL_KEY). */
function authArgs(op: OperationSpec): string[] {
  switch (op.auth.scheme) {
    case "apiKey":
    case "bearerOnly":
      return ["-H", '"Authorization: Bearer $VIGIL_KEY"'];
    case "basic":
      return ["-u", '"demo:$VIGIL_KEY"'];
    case "kairos":
      return ["-H", '"app_id: demo"', "-H", '"app_key: $VIGIL_KEY"'];
    case "sfx":
      return ["-H", '"Userid: demo"', "-H", '"ApiKey: $VIGIL_KEY"'];
    case "metricsToken":
      return ["-H", '"Authorization: Bearer $VIGIL_METRICS_TOKEN"'];
    case "signedUrl":
    case "none":
      return [];
  }
}

/**
 * A curl command for an operation, from its registry entry's example (path values, query,
 * JSON body or form fields; `@file` form values upload files). Signed image URLs are used as
 * an answer gave them, so that example is the URL alone.
 */
export function curlExample(op: OperationSpec, baseUrl = "http://localhost:3000"): string {
  if (op.auth.scheme === "signedUrl") return `curl -s "<url or imageUrl from an answer>" -o image.jpg`;
  const example = op.example ?? {};
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => example.pathValues?.[name] ?? `<${name}>`);
  const url = `${baseUrl}${path}${example.query ? `?${example.query}` : ""}`;
  const parts = ["curl", "-s"];
  if (op.method !== "GET" && op.method !== "POST") parts.push("-X", op.method);
  parts.push(example.query ? `"${url}"` : url, ...authArgs(op));
  if (example.json !== undefined) parts.push("-H", '"content-type: application/json"', "-d", quote(JSON.stringify(example.json)));
  for (const [name, value] of Object.entries(example.form ?? {})) parts.push("-F", quote(`${name}=${value}`));
  if (op.method === "POST" && example.json === undefined && !example.form && op.body?.json) parts.push("-H", '"content-type: application/json"', "-d", "'{}'");
  return parts.join(" ");
}
