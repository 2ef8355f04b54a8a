/** "45 s", "12 min", "3 h 05 min", "2 d 4 h": how long something has waited. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export const checkLabels: Record<string, string> = {
  face_match: "Face match",
  selfie_liveness: "Selfie liveness",
  document_liveness: "Document liveness",
  duplicate: "Possible duplicate",
  reopened: "Reopened",
};

export const statusLabels: Record<string, string> = {
  approved: "Approved",
  rejected: "Rejected",
  in_review: "In review",
  not_finished: "Not finished",
  resubmission_requested: "Resubmission requested",
};

/** True when a key event comes from typing in a field, or carries a modifier: shortcuts ignore it. */
export function isTypingOrModified(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey) return true;
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** A file size for people: "3.2 MB" (MiB, as the limits are set). */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
