import { desc, eq } from "drizzle-orm";
import { CreateKeyForm, RevokeKeyButton } from "@/components/admin/api-keys";
import { getDb } from "@/db/client";
import { apiKeys, projects } from "@/db/schema";
import { requirePageUser } from "@/lib/auth/guard";

export const dynamic = "force-dynamic";
export const metadata = { title: "API keys · Admin · Vigil" };

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 16) : "never");

/** API keys of every project: scopes, quota use, last use; create and revoke (admins only). */
export default async function KeysPage() {
  await requirePageUser("/admin/keys", "admin");
  const db = await getDb();
  const projectRows = await db.select({ id: projects.id, slug: projects.slug, name: projects.name }).from(projects).orderBy(projects.slug);
  const keys = await db
    .select({ key: apiKeys, project: projects.slug })
    .from(apiKeys)
    .innerJoin(projects, eq(projects.id, apiKeys.projectId))
    .orderBy(desc(apiKeys.createdAt));
  return (
    <main className="wide">
      <h1>API keys</h1>
      <p className="muted">Keys are stored as SHA-256 hashes: a secret is shown once, when it is made. Scopes: verify (face checks), documents (document liveness), search (1:N).</p>
      <CreateKeyForm projects={projectRows} />
      <table>
        <thead>
          <tr>
            <th>Project</th>
            <th>Name</th>
            <th>Key</th>
            <th>Scopes</th>
            <th>Used / quota</th>
            <th>Last used (UTC)</th>
            <th>Created</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {keys.map(({ key, project }) => (
            <tr key={key.id} data-testid="key-row">
              <td>{project}</td>
              <td>{key.name}</td>
              <td>
                <code>{key.prefix}…</code>
              </td>
              <td>{key.scopes.join(", ")}</td>
              <td>
                {key.usedCount} / {key.quota ?? "∞"}
              </td>
              <td>{when(key.lastUsedAt)}</td>
              <td>{when(key.createdAt)}</td>
              <td>{key.revokedAt ? <span className="muted">revoked {when(key.revokedAt)}</span> : <RevokeKeyButton keyId={key.id} prefix={key.prefix} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
