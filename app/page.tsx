import { getModelStatus } from "@/lib/inference/status";

export const dynamic = "force-dynamic";

export default async function HomePage() {
  const status = await getModelStatus();
  return (
    <main>
      <h1>Vigil</h1>
      <p className="lead">Face match, 1:N search, selfie and document liveness, on this server&apos;s CPU.</p>
      <p>
        <a href="/queue">Open the review console</a> · <a href="/verify">Verify photos by hand</a> · <a href="/docs/api">API reference</a>
      </p>
      <table>
        <thead>
          <tr>
            <th>Model</th>
            <th>Version</th>
            <th>sha256</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {status.models.map((m) => (
            <tr key={m.key}>
              <td>{m.id}</td>
              <td>{m.version}</td>
              <td>
                <code>{m.sha256.slice(0, 12)}…</code>
              </td>
              <td className={status.ready ? "ok" : "bad"}>{status.ready ? "loaded" : "not loaded"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {status.error ? <p className="bad">{status.error}</p> : null}
    </main>
  );
}
