"use client";

/**
 * What a console user sees when a page fails on the server: most often the database not
 * answering for a moment (a PostgreSQL restart or failover). Production hides the cause from
 * the browser; the reference is the digest the server logged with it.
 */
export default function PageError({ error, retry }: { error: Error & { digest?: string }; retry: () => void }) {
  return (
    <main>
      <h1>This page could not be loaded</h1>
      <p className="lead">
        Vigil could not finish it, usually because the database or another service it needs did not answer. Loading it changed nothing. It is
        often brief: try again in a few seconds.
      </p>
      <p>
        <button type="button" className="primary" onClick={() => retry()}>
          Try again
        </button>{" "}
        <a href="/queue">Back to the queue</a>
      </p>
      <p className="muted small">
        If it keeps happening, tell your administrator{error.digest ? <> and quote reference <code>{error.digest}</code></> : null}; <code>/api/health</code>{" "}
        says whether the database is reachable.
      </p>
    </main>
  );
}
