import Link from "next/link";
import { WebhookRedeliverButton, WebhooksAutoRefresh } from "@/components/admin/webhooks-delivery-controls";
import { WebhookEndpointActions } from "@/components/admin/webhooks-endpoint-actions";
import { WebhookEndpointForm } from "@/components/admin/webhooks-endpoint-form";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { listDeliveries, listEndpoints, listWebhookProjects } from "@/lib/webhooks/endpoints";
import { WEBHOOK_EVENT_TYPES } from "@/lib/webhooks/events";

export const dynamic = "force-dynamic";
export const metadata = { title: "Webhooks · Admin · Vigil" };

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "");
const statusTone: Record<string, string> = { delivered: "approve", failed: "reject", pending: "review", delivering: "review" };

/** A project's webhook endpoints and their delivery log (admins only). */
export default async function WebhooksPage({ searchParams }: { searchParams: Promise<{ project?: string; endpoint?: string }> }) {
  await requirePageUser("/admin/webhooks", "admin");
  const db = await getDb();
  const params = await searchParams;
  const projects = await listWebhookProjects(db);
  const project = projects.find((p) => p.slug === params.project) ?? projects[0];
  if (!project) {
    return (
      <main className="wide">
        <h1>Webhooks</h1>
        <p className="muted">There is no project yet.</p>
      </main>
    );
  }
  const endpoints = await listEndpoints(db, project.id);
  const endpointFilter = endpoints.find((e) => e.id === params.endpoint);
  const deliveries = await listDeliveries(db, { projectId: project.id, endpointId: endpointFilter?.id, limit: 100 });
  const urlOf = new Map(endpoints.map((e) => [e.id, e.url]));
  const base = `/admin/webhooks?project=${encodeURIComponent(project.slug)}`;
  return (
    <main className="wide">
      <div className="page-head">
        <h1>Webhooks</h1>
        <nav className="tabs" aria-label="Project">
          {projects.map((p) => (
            <Link key={p.id} href={`/admin/webhooks?project=${encodeURIComponent(p.slug)}`} aria-current={p.id === project.id ? "page" : undefined}>
              {p.name} ({p.endpoints})
            </Link>
          ))}
        </nav>
      </div>
      <p className="muted">
        Events are POSTed as JSON with a <code>Vigil-Signature</code> header (HMAC-SHA256 over the timestamp and the body; how to check it is in the README,
        &ldquo;Webhooks&rdquo;). A delivery that gets no 2xx answer is retried for about 15 hours, then marked failed; any delivery can be sent again.
      </p>
      <WebhookEndpointForm key={project.id} projectId={project.id} projectName={project.name} eventTypes={WEBHOOK_EVENT_TYPES} />

      <h2>Endpoints</h2>
      {endpoints.length === 0 ? (
        <p className="muted">{project.name} has no webhook endpoints yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>URL</th>
              <th>Events</th>
              <th>Secret</th>
              <th>State</th>
              <th>Created (UTC)</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((e) => (
              <tr key={e.id} data-testid="webhook-endpoint-row">
                <td>
                  <code>{e.url}</code>
                  <br />
                  <Link className="small" href={`${base}&endpoint=${e.id}`}>
                    deliveries
                  </Link>
                </td>
                <td>{e.events.join(", ")}</td>
                <td>
                  <code>{e.secretPrefix}…</code>
                  {e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date() ? <div className="small muted">old secret also signs until {when(e.previousSecretExpiresAt)}</div> : null}
                </td>
                <td>{e.enabled ? "enabled" : <span className="muted">disabled {when(e.disabledAt)}</span>}</td>
                <td>{when(e.createdAt)}</td>
                <td>
                  <WebhookEndpointActions endpointId={e.id} url={e.url} enabled={e.enabled} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>
        Delivery log{endpointFilter ? <> for <code>{endpointFilter.url}</code> (<Link href={base}>all endpoints</Link>)</> : null}
      </h2>
      <WebhooksAutoRefresh active={deliveries.some((d) => d.status === "pending" || d.status === "delivering")} />
      {deliveries.length === 0 ? (
        <p className="muted">No deliveries yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Created (UTC)</th>
              <th>Event</th>
              <th>Endpoint</th>
              <th>Delivery</th>
              <th>Status</th>
              <th>Response</th>
              <th>Attempts</th>
              <th>Next attempt (UTC)</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id} data-testid="webhook-delivery-row" data-status={d.status}>
                <td>{when(d.createdAt)}</td>
                <td>
                  {d.type}
                  <div className="small muted">
                    <code>{d.eventId}</code>
                  </div>
                </td>
                <td className="small">
                  <code>{urlOf.get(d.endpointId) ?? d.endpointId}</code>
                </td>
                <td className="small">
                  <code>{d.id}</code>
                  {d.redeliveryOf ? <div className="muted">redelivery of {d.redeliveryOf}</div> : null}
                </td>
                <td>
                  <span className={`badge ${statusTone[d.status] ?? ""}`}>{d.status}</span>
                </td>
                <td>
                  {d.lastStatusCode ?? ""}
                  {d.lastError ? <div className="small muted">{d.lastError}</div> : null}
                </td>
                <td>{d.attempts}</td>
                <td>{d.status === "pending" ? when(d.nextAttemptAt) : ""}</td>
                <td>
                  <WebhookRedeliverButton deliveryId={d.id} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
