"use client";

import { unstable_rethrow, useRouter } from "next/navigation";
import { useId, useRef, useState } from "react";
import { enrollPersonAction } from "@/app/(console)/gallery/actions";
import { ActionError, actionErrorText, useActionRunner } from "@/components/console/action-runner";
import { useSecondsSince } from "@/components/console/elapsed";
import { formatMegabytes } from "@/components/console/format";
import type { ActionResult } from "@/lib/http/action";
import type { EnrollPhotoLimits } from "@/lib/search/enroll-photos";
import { PHOTO_TYPES } from "@/lib/photo-files";
import { checkEnrollPhotos } from "@/lib/search/enroll-photos";

/**
 * Calls the server action; a failure before the server answered (connection lost, upload
 * refused by the server-action body limit) becomes an error on the form instead of the error
 * page, which would lose what the operator typed and picked.
 */
async function submitEnrollment(formData: FormData): Promise<ActionResult<{ personId: string }>> {
  try {
    return await enrollPersonAction(formData);
  } catch (error) {
    unstable_rethrow(error);
    return { ok: false, error: { code: "INTERNAL", message: "The server did not answer: the connection failed or the upload was refused. Try again." } };
  }
}

/**
 * Admins only: enrolls a person into the project's gallery with one or more photos of their
 * face, then opens the new person's page. The photos are checked here first with the server's
 * rules (checkEnrollPhotos), so a file that cannot pass is refused before it is uploaded.
 */
export function EnrollPersonForm(props: {
  projectId: string;
  projectSlug: string;
  collections: Array<{ id: string; name: string }>;
  /** The collection the gallery is filtered on: ticked to begin with. */
  selectedCollection: string | null;
  limits: EnrollPhotoLimits;
}) {
  const router = useRouter();
  const { error, pending, run } = useActionRunner();
  const [photos, setPhotos] = useState<File[]>([]);
  const [clientError, setClientError] = useState<string | null>(null);
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const photoInput = useRef<HTMLInputElement>(null);
  const id = useId();
  const shown = clientError ?? (pending ? null : error);
  const total = photos.reduce((sum, p) => sum + p.size, 0);

  return (
    <form
      method="post"
      noValidate
      aria-labelledby={`${id}-heading`}
      aria-busy={pending}
      data-testid="enroll-person-form"
      onSubmit={(event) => {
        // Dispatched by hand rather than through <form action>: React resets a form after its
        // action, and an operator fixing one photo should not have to fill in everything again.
        event.preventDefault();
        if (pending) return;
        const problem = checkEnrollPhotos(photos, props.limits);
        setClientError(problem ? actionErrorText(problem) : null);
        if (problem) {
          photoInput.current?.focus();
          return;
        }
        const formData = new FormData(event.currentTarget);
        setStartedAt(Date.now());
        run(
          () => submitEnrollment(formData),
          ({ personId }) => router.push(`/gallery/${personId}?project=${encodeURIComponent(props.projectSlug)}`),
        );
      }}
    >
      <h2 id={`${id}-heading`}>Enroll a person</h2>
      <input type="hidden" name="projectId" value={props.projectId} />
      <fieldset disabled={pending} style={{ border: 0, padding: 0, margin: 0, minWidth: 0, display: "grid", gap: 12 }}>
        <legend className="sr-only">Person and photos</legend>
        <div className="inline-form">
          <label className="grow">
            Name
            <input name="name" required maxLength={200} autoComplete="off" />
          </label>
          <label className="grow">
            External reference (optional)
            <input name="externalRef" maxLength={200} autoComplete="off" placeholder="e.g. the customer's id in your system" />
          </label>
        </div>
        {props.collections.length > 0 ? (
          <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
            <legend className="small muted" style={{ padding: 0, marginBottom: 6 }}>
              Collections
            </legend>
            <div className="buttons">
              {props.collections.map((c) => (
                <label key={c.id} className="check">
                  <input type="checkbox" name="collections" value={c.id} defaultChecked={c.id === props.selectedCollection} />
                  {c.name}
                </label>
              ))}
            </div>
          </fieldset>
        ) : (
          <p className="muted small">No collections yet: the person is enrolled in none (searches of the whole project still find them).</p>
        )}
        <label>
          Face photos
          <input
            ref={photoInput}
            name="photos"
            type="file"
            multiple
            accept={PHOTO_TYPES.join(",")}
            aria-describedby={`${id}-photos-hint`}
            aria-invalid={clientError ? true : undefined}
            onChange={(e) => {
              const chosen = [...(e.currentTarget.files ?? [])];
              setPhotos(chosen);
              const problem = chosen.length > 0 ? checkEnrollPhotos(chosen, props.limits) : null;
              setClientError(problem ? actionErrorText(problem) : null);
            }}
          />
        </label>
        <p id={`${id}-photos-hint`} className="muted small" style={{ margin: 0 }}>
          1 to {props.limits.maxImages} photos of the same person, one face in each: JPEG, PNG or WebP, up to {formatMegabytes(props.limits.maxImageBytes)} each and{" "}
          {formatMegabytes(props.limits.maxTotalBytes)} in all.
        </p>
        {photos.length > 0 ? (
          <ul className="small" data-testid="enroll-photos" style={{ margin: 0 }}>
            {photos.map((p, i) => (
              <li key={`${i}-${p.name}`}>
                images[{i}]: {p.name} · {formatMegabytes(p.size)}
              </li>
            ))}
          </ul>
        ) : null}
        <div>
          <button type="submit" className="primary">
            {pending ? "Enrolling…" : "Enroll person"}
          </button>
        </div>
      </fieldset>
      {pending && startedAt !== null ? <EnrollProgress bytes={total} photos={photos.length} startedAt={startedAt} /> : null}
      <ActionError error={shown} />
    </form>
  );
}

/**
 * What the browser can honestly tell while the action runs: a server action reports neither
 * upload progress nor the end of the upload, so both steps are named as in flight together
 * and the seconds are counted.
 */
function EnrollProgress({ bytes, photos, startedAt }: { bytes: number; photos: number; startedAt: number }) {
  const seconds = useSecondsSince(startedAt);
  return (
    <div className="notice" data-testid="enroll-progress" style={{ marginTop: 12, display: "grid", gap: 6 }}>
      <p role="status" style={{ margin: 0 }}>
        Uploading {photos === 1 ? "1 photo" : `${photos} photos`} ({formatMegabytes(bytes)}), then finding and reading the face in each on the server…
      </p>
      <progress aria-label="Enrollment in progress" style={{ width: "100%" }} />
      <p className="muted small" style={{ margin: 0 }}>
        {seconds} s elapsed. The person&apos;s page opens by itself when they are enrolled.
      </p>
    </div>
  );
}
