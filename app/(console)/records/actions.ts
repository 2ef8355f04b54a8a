"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import { reopenVerification } from "@/lib/review/queue";

const reopenSchema = z.object({ verificationId: z.string().min(1).max(64), note: z.string().trim().min(1, "Say why it is reopened.").max(2000) });

/** Sends a decided verification back to the review queue (an appeal, or fraud found later). */
export async function reopenAction(input: unknown): Promise<ActionResult<{ caseId: string }>> {
  return runAction("reopen", async () => {
    const user = await requireUser();
    const { verificationId, note } = reopenSchema.parse(input);
    const caseId = await reopenVerification(await getDb(), { user, verificationId, note });
    revalidatePath(`/records/${verificationId}`);
    revalidatePath("/queue");
    return { caseId };
  });
}
