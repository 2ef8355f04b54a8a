"use client";

import { useRouter } from "next/navigation";
import { deletePersonAction } from "@/app/(console)/gallery/actions";
import { ActionError, useActionRunner } from "@/components/console/action-runner";

/** Admins only: deletes an enrolled person after a confirmation, then returns to the gallery. */
export function DeletePersonButton({ projectId, projectSlug, personId, name, faces }: { projectId: string; projectSlug: string; personId: string; name: string; faces: number }) {
  const router = useRouter();
  const { error, pending, run } = useActionRunner();
  return (
    <>
      <button
        type="button"
        className="reject"
        disabled={pending}
        onClick={() => {
          const what = faces === 1 ? "their enrolled face" : `their ${faces} enrolled faces`;
          if (!window.confirm(`Delete ${name} and ${what}? Searches stop finding them at once; duplicate checks that named them keep the name and score.`)) return;
          run(
            () => deletePersonAction({ projectId, personId }),
            () => router.push(`/gallery?project=${encodeURIComponent(projectSlug)}&deleted=1`),
          );
        }}
      >
        {pending ? "Deleting…" : "Delete person"}
      </button>
      <ActionError error={error} />
    </>
  );
}
