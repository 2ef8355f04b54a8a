/**
 * The review console over plain HTTP, as the browser drives it: sign in through next-auth's
 * credentials callback (CSRF token, then the form post that sets the session cookie), and call
 * server actions the way the React client does (POST to the page with a `Next-Action` header
 * naming the action's id from the build's server-reference manifest, arguments as a JSON array).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The id of the server action `exportedName` in `file` (e.g. "app/(console)/queue/actions.ts") of the build in .next. */
export function serverActionId(root: string, file: string, exportedName: string): string {
  const manifest = JSON.parse(readFileSync(join(root, ".next", "server", "server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename?: string; exportedName?: string }>;
  };
  const found = Object.entries(manifest.node).find(([, entry]) => entry.filename === file && entry.exportedName === exportedName);
  if (!found) throw new Error(`the build in .next has no server action ${exportedName} in ${file}`);
  return found[0];
}

/** `name=value` pairs of Set-Cookie headers, merged into a jar. */
function absorbCookies(jar: Map<string, string>, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

export interface ConsoleSession {
  email: string;
  /** The cookies a signed-in browser sends (next-auth's session token among them). */
  cookie: string;
}

/** Signs in at `baseUrl` with e-mail and password; throws when no session cookie comes back. */
export async function signInConsole(baseUrl: string, email: string, password: string): Promise<ConsoleSession> {
  const jar = new Map<string, string>();
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`, { signal: AbortSignal.timeout(30_000) });
  absorbCookies(jar, csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const form = new URLSearchParams({ email, password, csrfToken, callbackUrl: `${baseUrl}/queue` });
  const answer = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader(jar) },
    body: form,
    redirect: "manual",
    signal: AbortSignal.timeout(30_000),
  });
  absorbCookies(jar, answer);
  await answer.arrayBuffer();
  if (![...jar.keys()].some((name) => name.endsWith("authjs.session-token"))) {
    throw new Error(`signing in ${email} at ${baseUrl} set no session cookie (HTTP ${answer.status}, location ${answer.headers.get("location")})`);
  }
  return { email, cookie: cookieHeader(jar) };
}

export interface ActionAnswer<T> {
  status: number;
  /** The action's return value, from the RSC answer. */
  value: T;
  /** Response headers (X-Vigil-Upstream when nginx is in front). */
  headers: Headers;
}

/**
 * Calls a server action as the console's client does. The answer is an RSC stream whose row
 * `1:` holds the action's return value (row `0:` is the router's metadata).
 */
export async function callServerAction<T>(baseUrl: string, session: ConsoleSession, options: { page: string; actionId: string; args: unknown[] }): Promise<ActionAnswer<T>> {
  const response = await fetch(`${baseUrl}${options.page}`, {
    method: "POST",
    headers: {
      accept: "text/x-component",
      "content-type": "text/plain;charset=UTF-8",
      "next-action": options.actionId,
      origin: baseUrl,
      cookie: session.cookie,
    },
    body: JSON.stringify(options.args),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`server action ${options.actionId} on ${options.page} answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  const row = text.split("\n").find((line) => line.startsWith("1:"));
  if (!row) throw new Error(`server action ${options.actionId} answered no value: ${text.slice(0, 300)}`);
  return { status: response.status, value: JSON.parse(row.slice(2)) as T, headers: response.headers };
}

/** "Next case" (`N` on the queue): claims the next case for the signed-in reviewer; its id, or null when nothing is waiting. */
export async function claimNextCaseOverHttp(baseUrl: string, session: ConsoleSession, actionId: string): Promise<{ caseId: string | null; upstream: string | null }> {
  const answer = await callServerAction<{ ok: boolean; data?: { caseId: string | null }; error?: { code: string } }>(baseUrl, session, { page: "/queue", actionId, args: [{}] });
  if (!answer.value.ok || !answer.value.data) throw new Error(`claimNextAction failed for ${session.email}: ${JSON.stringify(answer.value.error)}`);
  return { caseId: answer.value.data.caseId, upstream: answer.headers.get("x-vigil-upstream") };
}
