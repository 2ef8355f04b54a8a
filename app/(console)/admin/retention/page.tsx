import { RetentionDaysForm } from "@/components/admin/retention-days-form";
import { RetentionErasureForm } from "@/components/admin/retention-erasure-form";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { listProjectRetention } from "@/lib/retention/settings";

export const dynamic = "force-dynamic";
export const metadata = { title: "Retention · Admin · Vigil" };

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 16) : "–");

/** Image retention per project and the erasure of one subject's biometric data (admins only). */
export default async function RetentionPage() {
  await requirePageUser("/admin/retention", "admin");
  const projects = await listProjectRetention(await getDb());
  return (
    <main className="wide">
      <h1>Retention</h1>
      <p className="muted">
        Images are purged once they are older than their project&apos;s retention: the encrypted file is deleted and the record, its scores, review case and decision stay (the record says its
        images were purged). The purge runs a minute after the server starts, then every hour, and writes an <code>images.purged</code> audit event per batch.
      </p>
      <section className="panel">
        <h2>Image retention per project</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Images stored</th>
              <th scope="col">Images purged</th>
              <th scope="col">Oldest stored (UTC)</th>
              <th scope="col">Keep images for</th>
            </tr>
          </thead>
          <tbody>
            {projects.map((p) => (
              <tr key={p.projectId} data-testid="retention-row">
                <th scope="row">
                  {p.name} <span className="muted small">({p.slug})</span>
                </th>
                <td>{p.storedImages}</td>
                <td>{p.purgedImages}</td>
                <td>{when(p.oldestStoredAt)}</td>
                <td>
                  <RetentionDaysForm projectId={p.projectId} projectName={p.name} days={p.imageRetentionDays} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <h2>Erase a subject</h2>
        <p className="muted small">
          For a data-subject request: removes the images of every verification with the external reference your system gave (or of one verification), their detected faces and landmarks,
          and any 1:N gallery entries made from them. The verifications, scores and decisions stay. A <code>subject.erased</code> audit event records who did it, for which verifications,
          and the counts. This cannot be undone.
        </p>
        <RetentionErasureForm projects={projects.map((p) => ({ id: p.projectId, name: p.name, slug: p.slug }))} />
      </section>
    </main>
  );
}
