"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import { AppError } from "@/lib/errors";
import { runAction } from "@/lib/http/action";
import { parseInput } from "@/lib/http/native";
import { getImageStore } from "@/lib/storage";
import { MAX_EXTERNAL_REF, assertImageFits, runManualVerification } from "@/lib/verification/manual";

export interface VerifyFormState {
  error: { code: string; message: string } | null;
}

/** An empty file input still posts a nameless, empty File: that is "no file". */
const upload = z
  .instanceof(File)
  .optional()
  .transform((file) => (file && (file.size > 0 || file.name !== "") ? file : undefined));

const verifyFormSchema = z.object({
  projectId: z.string().trim().min(1, "choose a project").max(64),
  type: z.enum(["face_match_liveness", "face_match", "selfie_liveness", "document_selfie"]),
  externalRef: z.string().trim().max(MAX_EXTERNAL_REF).optional(),
  selfie: upload,
  reference: upload,
});

function field(formData: FormData, name: string): FormDataEntryValue | undefined {
  return formData.get(name) ?? undefined;
}

/**
 * Runs the checks on a selfie and a reference photo an operator uploads, in this process,
 * then opens the new record. Any signed-in console user may verify.
 */
export async function runVerificationAction(_previous: VerifyFormState, formData: FormData): Promise<VerifyFormState> {
  const result = await runAction("runVerification", async () => {
    const user = await requireUser();
    const input = parseInput(verifyFormSchema, {
      projectId: field(formData, "projectId"),
      type: field(formData, "type"),
      externalRef: field(formData, "externalRef"),
      selfie: field(formData, "selfie"),
      reference: field(formData, "reference"),
    });
    // The native API's wording for a request without a selfie (native-input.ts).
    if (!input.selfie) throw new AppError("INVALID_REQUEST", "selfie: a selfie image is required", { field: "selfie" });
    const reference = input.type === "selfie_liveness" ? undefined : input.reference;
    // Refused on the declared size, before a byte is copied out of the upload.
    assertImageFits("selfie", input.selfie.size);
    if (reference) assertImageFits("reference[0]", reference.size);
    const record = await runManualVerification(await getDb(), getImageStore(), {
      user,
      projectId: input.projectId,
      type: input.type,
      selfie: Buffer.from(await input.selfie.arrayBuffer()),
      reference: reference ? Buffer.from(await reference.arrayBuffer()) : null,
      externalRef: input.externalRef,
    });
    revalidatePath("/queue");
    revalidatePath("/records");
    return record.id;
  });
  if (!result.ok) return { error: result.error };
  // Outside runAction: redirect() throws Next's navigation signal, which must not become an error.
  redirect(`/records/${result.data}`);
}
