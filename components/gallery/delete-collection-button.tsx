"use client";

import { useRouter } from "next/navigation";
import { deleteCollectionAction } from "@/app/(console)/gallery/actions";
import { ActionError, useActionRunner } from "@/components/console/action-runner";

/** Admins only: deletes a collection after a confirmation; its persons stay enrolled. */
export function DeleteCollectionButton({ projectId, projectSlug, collectionId, name, persons }: { projectId: string; projectSlug: string; collectionId: string; name: string; persons: number }) {
  const router = useRouter();
  const { error, pending, run } = useActionRunner();
  return (
    <>
      <button
        type="button"
        className="reject small"
        disabled={pending}
        aria-label={`Delete the collection ${name}`}
        onClick={() => {
          const who = persons === 0 ? "It has no persons." : persons === 1 ? "Its person stays enrolled, in the project and in their other collections." : `Its ${persons} persons stay enrolled, in the project and in their other collections.`;
          if (!window.confirm(`Delete the collection ${name}? ${who} Searches limited to it stop working.`)) return;
          run(
            () => deleteCollectionAction({ projectId, collectionId }),
            () => router.push(`/gallery?project=${encodeURIComponent(projectSlug)}`),
          );
        }}
      >
        {pending ? "Deleting…" : "Delete"}
      </button>
      <ActionError error={error} />
    </>
  );
}
