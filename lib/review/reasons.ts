import { z } from "zod";

export type Decision = "approve" | "reject" | "resubmit";
export const decisionSchema = z.enum(["approve", "reject", "resubmit"]);

export interface ReasonCode {
  code: string;
  label: string;
}

/** The reason codes a project starts with (issue #8); admins may replace the list per project. */
export const DEFAULT_REASON_CODES: ReasonCode[] = [
  { code: "face_mismatch", label: "Face mismatch" },
  { code: "spoof_screen", label: "Spoof - screen" },
  { code: "spoof_print", label: "Spoof - print" },
  { code: "spoof_mask", label: "Spoof - mask" },
  { code: "document_tampered", label: "Document tampered" },
  { code: "poor_quality", label: "Poor quality" },
  { code: "other", label: "Other" },
];

export const reasonCodesSchema = z
  .array(z.object({ code: z.string().regex(/^[a-z0-9_]{1,40}$/), label: z.string().min(1).max(80) }))
  .min(1)
  .max(50);

/** A project's reason codes: its own list when set and valid, else the defaults. */
export function reasonCodesOf(stored: unknown): ReasonCode[] {
  const parsed = reasonCodesSchema.safeParse(stored);
  return parsed.success ? parsed.data : DEFAULT_REASON_CODES;
}
