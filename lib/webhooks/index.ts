/** What the code that causes events needs: build an event, put it in the outbox in its transaction. */
export { duplicateDecidedEvent, reviewDecidedEvent, verificationCompletedEvent, WEBHOOK_EVENT_TYPES } from "./events";
export type { WebhookEvent, WebhookEventType, WebhookPayload } from "./events";
export { enqueueEvent } from "./outbox";
