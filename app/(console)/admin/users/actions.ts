"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import { createUser, emailSchema, generatePassword, roleSchema, updateUser } from "@/lib/auth/users";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import { appendAudit } from "@/lib/review/audit";

const createUserSchema = z.object({ email: emailSchema, name: z.string().trim().max(120).optional(), role: roleSchema });

/** Admins only: creates a console user with a generated password, shown once to the admin. */
export async function createUserAction(input: unknown): Promise<ActionResult<{ email: string; password: string }>> {
  return runAction("createUser", async () => {
    const admin = await requireUser("admin");
    const { email, name, role } = createUserSchema.parse(input);
    const password = generatePassword();
    const user = await createUser(await getDb(), { email, name, role, password });
    await (await getDb()).transaction((tx) => appendAudit(tx, { actor: admin.actor, action: "user.created", after: { userId: user.id, email: user.email, role: user.role } }));
    revalidatePath("/admin/users");
    return { email: user.email, password };
  });
}

const updateUserSchema = z.object({ userId: z.string().min(1).max(64), role: roleSchema.optional(), disabled: z.boolean().optional() });

/** Admins only: changes a user's role or disables / re-enables them (never the last admin). */
export async function updateUserAction(input: unknown): Promise<ActionResult<null>> {
  return runAction("updateUser", async () => {
    const admin = await requireUser("admin");
    const { userId, role, disabled } = updateUserSchema.parse(input);
    await updateUser(await getDb(), { actor: admin.actor, userId, role, disabled });
    revalidatePath("/admin/users");
    return null;
  });
}
