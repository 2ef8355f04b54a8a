import Link from "next/link";
import { ProjectPicker } from "@/components/admin/project-picker";
import { CreateCollectionForm } from "@/components/gallery/create-collection-form";
import { DeleteCollectionButton } from "@/components/gallery/delete-collection-button";
import { EnrollPersonForm } from "@/components/gallery/enroll-person-form";
import styles from "@/components/gallery/gallery.module.css";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { getEnv } from "@/lib/env";
import { listCollections } from "@/lib/search/collections";
import { enrollUploadBytes } from "@/lib/search/enroll-photos";
import { MAX_IMAGES_PER_REQUEST, listPersons } from "@/lib/search/persons";
import { imageUrlPath } from "@/lib/storage";
import { listPolicyProjects } from "@/lib/thresholds/policies";

export const dynamic = "force-dynamic";
export const metadata = { title: "Gallery · Vigil" };

/** Persons per page: a screenful of thumbnails, each fetched (and audited) as it is drawn. */
const PAGE_SIZE = 25;

type Params = { project?: string; collection?: string; before?: string; deleted?: string };

function one(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" && value.length <= 200 ? value : undefined;
}

/**
 * The enrolled persons of a project (the 1:N search gallery): its collections with their
 * sizes, and the persons newest first, optionally of one collection, with a face thumbnail.
 * Admins also create collections and enroll persons here (the API's `search` scope, which
 * only admins can hand out on a key); reviewers only look.
 */
export default async function GalleryPage({ searchParams }: { searchParams: Promise<Record<keyof Params, string | string[] | undefined>> }) {
  const user = await requirePageUser("/gallery");
  const params = await searchParams;
  const wanted = one(params.project);
  const db = await getDb();
  const projects = await listPolicyProjects(db);
  const project = projects.find((p) => p.slug === wanted || p.id === wanted) ?? projects[0];
  if (!project) {
    return (
      <main className="wide">
        <h1>Gallery</h1>
        <p className="muted">No project yet.</p>
      </main>
    );
  }
  const collections = await listCollections(db, project.id);
  const collection = collections.find((c) => c.id === one(params.collection)) ?? null;
  const before = one(params.before);
  const page = await listPersons(db, { projectId: project.id, collection: collection?.id ?? null, limit: PAGE_SIZE, before: before ?? null });
  const deleted = one(params.deleted) === "1";
  const isAdmin = user.role === "admin";
  const env = getEnv();
  const href = (extra: Record<string, string | undefined>) => {
    const query = new URLSearchParams(Object.entries({ project: project.slug, ...extra }).filter((e): e is [string, string] => !!e[1]));
    return `/gallery?${query}`;
  };

  return (
    <main className="wide">
      <div className="page-head">
        <div>
          <h1>Gallery</h1>
          <p className="muted">Persons enrolled for 1:N search in {project.name}. Every new verification&apos;s selfie is searched against them for duplicates.</p>
        </div>
        <ProjectPicker projects={projects} selected={project.slug} valueOf="slug" className="inline-form" />
      </div>
      {deleted ? (
        <p role="status" className="notice">
          The person was deleted, with their enrolled faces.
        </p>
      ) : null}

      <section className="panel" aria-labelledby="collections-heading">
        <h2 id="collections-heading">Collections</h2>
        {collections.length === 0 ? (
          <p className="muted small">No collections in this project.</p>
        ) : (
          <table data-testid="gallery-collections">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Persons</th>
                <th scope="col">Code</th>
                <th scope="col">Created (UTC)</th>
                {isAdmin ? (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {collections.map((c) => (
                <tr key={c.id} data-testid="gallery-collection" aria-current={c.id === collection?.id ? "true" : undefined}>
                  <th scope="row">
                    <Link href={href({ collection: c.id })} prefetch={false}>
                      {c.name}
                    </Link>
                    {c.description ? <span className="muted small"> · {c.description}</span> : null}
                  </th>
                  <td>{c.personCount}</td>
                  <td>
                    <code className="small">{c.code}</code>
                  </td>
                  <td>{c.createdAt.toISOString().slice(0, 10)}</td>
                  {isAdmin ? (
                    <td>
                      <DeleteCollectionButton projectId={project.id} projectSlug={project.slug} collectionId={c.id} name={c.name} persons={c.personCount} />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {isAdmin ? <CreateCollectionForm projectId={project.id} /> : null}
      </section>

      {isAdmin ? (
        <section className="panel">
          <EnrollPersonForm
            projectId={project.id}
            projectSlug={project.slug}
            collections={collections.map((c) => ({ id: c.id, name: c.name }))}
            selectedCollection={collection?.id ?? null}
            limits={{ maxImages: MAX_IMAGES_PER_REQUEST, maxImageBytes: env.VIGIL_MAX_IMAGE_BYTES, maxTotalBytes: enrollUploadBytes(env.VIGIL_MAX_BODY_BYTES) }}
          />
        </section>
      ) : null}

      <section className="panel" aria-labelledby="persons-heading">
        <div className={styles.sectionHead}>
          <h2 id="persons-heading">{collection ? `Persons in ${collection.name}` : "Persons"}</h2>
          {collection ? (
            <Link href={href({})} prefetch={false}>
              All persons
            </Link>
          ) : null}
        </div>
        {page.persons.length === 0 ? (
          <p className="muted">
            {before
              ? "No older persons."
              : isAdmin
                ? "Nobody is enrolled here yet. Enroll a person above, or through the API (POST /api/v1/persons)."
                : "Nobody is enrolled here yet. Admins enroll persons here or through the API (POST /api/v1/persons)."}
          </p>
        ) : (
          <table data-testid="gallery-persons">
            <thead>
              <tr>
                <th scope="col">
                  <span className="sr-only">Face</span>
                </th>
                <th scope="col">Name</th>
                <th scope="col">Reference</th>
                <th scope="col">Collections</th>
                <th scope="col">Faces</th>
                <th scope="col">Enrolled (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {page.persons.map((person) => {
                const face = person.faces.find((f) => f.hasImage);
                return (
                  <tr key={person.id} data-testid="gallery-person" data-person-id={person.id}>
                    <td>
                      {face ? (
                        // A plain <img>: the URL is signed and expiring, so it must not go through an image cache.
                        <img className={styles.thumb} src={imageUrlPath(face.id, user.actor)} alt={`${person.name}'s enrolled face`} width={56} height={56} loading="lazy" decoding="async" />
                      ) : (
                        <span className={styles.noThumb}>no image</span>
                      )}
                    </td>
                    <td>
                      <Link href={`/gallery/${person.id}?project=${project.slug}`} prefetch={false}>
                        {person.name}
                      </Link>
                    </td>
                    <td>{person.externalRef ? <code>{person.externalRef}</code> : <span className="muted">-</span>}</td>
                    <td className="small">{person.collections.map((c) => c.name).join(", ") || <span className="muted">-</span>}</td>
                    <td>{person.faces.length}</td>
                    <td>{person.createdAt.toISOString().replace("T", " ").slice(0, 16)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <nav className={styles.pager} aria-label="Pages">
          {before ? (
            <Link href={href({ collection: collection?.id })} prefetch={false}>
              ← Newest
            </Link>
          ) : null}
          {page.next ? (
            <Link href={href({ collection: collection?.id, before: page.next })} prefetch={false} rel="next">
              Older →
            </Link>
          ) : null}
        </nav>
      </section>
    </main>
  );
}
