"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { redeliverWebhookAction } from "@/app/(console)/admin/webhooks/actions";
import { ActionError, useActionRunner } from "@/components/console/action-runner";

/** Sends a logged delivery's event to its endpoint again, as a new delivery. */
export function WebhookRedeliverButton({ deliveryId }: { deliveryId: string }) {
  const { error, pending, run } = useActionRunner();
  return (
    <>
      <button type="button" className="link" disabled={pending} aria-label={`Redeliver ${deliveryId}`} onClick={() => run(() => redeliverWebhookAction({ deliveryId }))}>
        Redeliver
      </button>
      <ActionError error={error} />
    </>
  );
}

/**
 * Reloads the page's server data every few seconds while some delivery is still pending or
 * being sent, and the tab is visible: the dispatcher settles them in the background.
 */
export function WebhooksAutoRefresh({ active, everyMs = 3_000 }: { active: boolean; everyMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs, router]);
  return null;
}
