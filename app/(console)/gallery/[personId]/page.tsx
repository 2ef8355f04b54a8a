import Link from "next/link";
import { notFound } from "next/navigation";
import { DeletePersonButton } from "@/components/gallery/delete-person-button";
import styles from "@/components/gallery/gallery.module.css";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { isAppError } from "@/lib/errors";
import type { Person } from "@/lib/search/persons";
import { getPerson } from "@/lib/search/persons";
import { imageUrlPath } from "@/lib/storage";
import { listPolicyProjects } from "@/lib/thresholds/policies";

export const dynamic = "force-dynamic";
export const metadata = { title: "Person · Gallery · Vigil" };

const METADATA_LABELS: Record<string, string> = { gender: "Gender", dateOfBirth: "Date of birth", nationality: "Nationality", notes: "Notes", emails: "E-mail", phones: "Phone" };

/** One enrolled person: what was stored about them and every enrolled face; admins may delete them. */
export default async function PersonPage({ params, searchParams }: { params: Promise<{ personId: string }>; searchParams: Promise<{ project?: string | string[] }> }) {
  const { personId } = await params;
  const user = await requirePageUser(`/gallery/${personId}`);
  const { project: wanted } = await searchParams;
  const db = await getDb();
  const projects = await listPolicyProjects(db);
  const project = projects.find((p) => p.slug === wanted || p.id === wanted) ?? projects[0];
  if (!project) notFound();
  let person: Person;
  try {
    person = await getPerson(db, project.id, personId.slice(0, 64));
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  }
  const metadata = Object.entries(person.metadata).filter(([, v]) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0));

  return (
    <main className="wide">
      <div className="page-head">
        <div>
          <p className="small">
            <Link href={`/gallery?project=${project.slug}`} prefetch={false}>
              ← Gallery of {project.name}
            </Link>
          </p>
          <h1 data-testid="person-name">{person.name}</h1>
          <p className="muted">
            {person.externalRef ? (
              <>
                ref <code>{person.externalRef}</code> ·{" "}
              </>
            ) : null}
            <code>{person.id}</code> · enrolled {person.createdAt.toISOString().replace("T", " ").slice(0, 16)} UTC
          </p>
        </div>
        {user.role === "admin" ? <DeletePersonButton projectId={project.id} projectSlug={project.slug} personId={person.id} name={person.name} faces={person.faces.length} /> : null}
      </div>

      <section className="panel" aria-labelledby="person-details">
        <h2 id="person-details">Details</h2>
        <dl className={styles.details}>
          <dt>Collections</dt>
          <dd>{person.collections.length ? person.collections.map((c) => c.name).join(", ") : <span className="muted">none</span>}</dd>
          <dt>Updated</dt>
          <dd>{person.updatedAt.toISOString().replace("T", " ").slice(0, 16)} UTC</dd>
          {metadata.map(([key, value]) => (
            <div key={key}>
              <dt>{METADATA_LABELS[key] ?? key}</dt>
              <dd>{Array.isArray(value) ? value.join(", ") : String(value)}</dd>
            </div>
          ))}
        </dl>
      </section>

      <section className="panel" aria-labelledby="person-faces">
        <h2 id="person-faces">Enrolled faces ({person.faces.length})</h2>
        <ul className={styles.faces} data-testid="person-faces">
          {person.faces.map((face, i) => (
            <li key={face.id}>
              <figure className={styles.face}>
                {face.hasImage ? (
                  // A plain <img>: the URL is signed and expiring, so it must not go through an image cache.
                  <img src={imageUrlPath(face.id, user.actor)} alt={`${person.name}, face ${i + 1}`} width={face.width ?? undefined} height={face.height ?? undefined} loading="lazy" decoding="async" data-testid="person-face" />
                ) : (
                  <span className={styles.noThumb}>embedding only, no image</span>
                )}
                <figcaption>
                  <code>{face.id}</code>
                  <br />
                  {face.width && face.height ? `${face.width}×${face.height} · ` : ""}
                  {face.liveness !== null ? `liveness ${face.liveness.toFixed(3)} · ` : ""}
                  {face.createdAt.toISOString().slice(0, 10)}
                </figcaption>
              </figure>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
