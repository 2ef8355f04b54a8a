/** An HTTP error from a console endpoint, with the server's error code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** GETs JSON from a console route; a 401 (session ended) sends the browser to sign in again. */
export async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    throw new HttpError(response.status, body?.error?.code ?? "INTERNAL", body?.error?.message ?? `HTTP ${response.status}`);
  }
  return body as T;
}
