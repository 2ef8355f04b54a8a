"use client";

import { useState, useTransition } from "react";
import { createWebhookEndpointAction } from "@/app/(console)/admin/webhooks/actions";
import { actionErrorText } from "@/components/console/action-runner";

/** Adds an endpoint to a project; its signing secret is shown once, to configure the receiver with. */
export function WebhookEndpointForm({ projectId, projectName, eventTypes }: { projectId: string; projectName: string; eventTypes: readonly string[] }) {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>([...eventTypes]);
  const [result, setResult] = useState<{ tone: "error" | "info"; text: string; secret?: string } | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <form
      className="panel inline-form"
      aria-label="Add webhook endpoint"
      onSubmit={(e) => {
        e.preventDefault();
        startTransition(async () => {
          const r = await createWebhookEndpointAction({ projectId, url, events });
          if (!r.ok) setResult({ tone: "error", text: actionErrorText(r.error) });
          else {
            setResult({ tone: "info", text: `Added ${url} to ${projectName}. Signing secret (shown once, copy it into the receiver now):`, secret: r.data.secret });
            setUrl("");
          }
        });
      }}
    >
      <label className="grow">
        Endpoint URL
        <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/vigil" required maxLength={2048} />
      </label>
      <fieldset className="scopes">
        <legend>Events</legend>
        {eventTypes.map((type) => (
          <label key={type} className="check">
            <input type="checkbox" checked={events.includes(type)} onChange={(e) => setEvents(e.target.checked ? [...events, type] : events.filter((t) => t !== type))} />
            {type}
          </label>
        ))}
      </fieldset>
      <button type="submit" className="primary" disabled={pending}>
        Add endpoint
      </button>
      {result ? (
        <p role={result.tone === "error" ? "alert" : "status"} className={result.tone === "error" ? "error" : "notice"}>
          {result.text} {result.secret ? <code data-testid="webhook-secret">{result.secret}</code> : null}
        </p>
      ) : null}
    </form>
  );
}
