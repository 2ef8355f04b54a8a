"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import { deletePerson } from "@/lib/search/persons";
import { getImageStore } from "@/lib/storage";

const deletePersonSchema = z.object({ projectId: z.string().min(1).max(64), personId: z.string().min(1).max(64) });

/** Admins only: removes an enrolled person, their faces and images (audited `person.deleted`). */
export async function deletePersonAction(input: unknown): Promise<ActionResult<{ personId: string }>> {
  return runAction("deletePerson", async () => {
    const admin = await requireUser("admin");
    const { projectId, personId } = deletePersonSchema.parse(input);
    const person = await deletePerson(await getDb(), getImageStore(), { projectId, personId, actor: admin.actor });
    revalidatePath("/gallery");
    return { personId: person.id };
  });
}
