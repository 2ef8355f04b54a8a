"use client";

import { useState, useTransition } from "react";
import {
  deleteWebhookEndpointAction,
  rotateWebhookSecretAction,
  sendWebhookTestAction,
  setWebhookEndpointEnabledAction,
} from "@/app/(console)/admin/webhooks/actions";
import { actionErrorText } from "@/components/console/action-runner";
import type { ActionResult } from "@/lib/http/action";

type Message = { tone: "error" | "info"; text: string; secret?: string };

/** One endpoint's controls: test event, secret rotation (new secret shown once), enable/disable, delete. */
export function WebhookEndpointActions({ endpointId, url, enabled }: { endpointId: string; url: string; enabled: boolean }) {
  const [message, setMessage] = useState<Message | null>(null);
  const [pending, startTransition] = useTransition();

  const run = <T,>(work: () => Promise<ActionResult<T>>, done: (data: T) => Message | null) =>
    startTransition(async () => {
      const r = await work();
      setMessage(r.ok ? done(r.data) : { tone: "error", text: actionErrorText(r.error) });
    });

  return (
    <div className="buttons">
      <button type="button" disabled={pending || !enabled} onClick={() => run(() => sendWebhookTestAction({ endpointId }), (d) => ({ tone: "info", text: `Test event queued as ${d.deliveryId}.` }))}>
        Send test event
      </button>
      <button
        type="button"
        disabled={pending}
        onClick={() => {
          if (!window.confirm(`Rotate the signing secret of ${url}? The old secret keeps signing (as a second v1) for 24 hours.`)) return;
          run(() => rotateWebhookSecretAction({ endpointId }), (d) => ({ tone: "info", text: "New signing secret (shown once, copy it now):", secret: d.secret }));
        }}
      >
        Rotate secret
      </button>
      <button type="button" disabled={pending} onClick={() => run(() => setWebhookEndpointEnabledAction({ endpointId, enabled: !enabled }), () => null)}>
        {enabled ? "Disable" : "Enable"}
      </button>
      <button
        type="button"
        className="reject"
        disabled={pending}
        onClick={() => {
          if (!window.confirm(`Delete ${url} and its delivery log? Queued deliveries to it are dropped.`)) return;
          run(() => deleteWebhookEndpointAction({ endpointId }), () => null);
        }}
      >
        Delete
      </button>
      {message ? (
        <p role={message.tone === "error" ? "alert" : "status"} className={message.tone === "error" ? "error small" : "notice small"}>
          {message.text} {message.secret ? <code data-testid="webhook-secret">{message.secret}</code> : null}
        </p>
      ) : null}
    </div>
  );
}
