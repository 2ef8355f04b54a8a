"use client";

import { useRouter } from "next/navigation";
import { deleteCollectionAction } from "@/app/(console)/gallery/actions";
import { ConfirmedActionButton } from "@/components/console/action-runner";

/** Admins only: deletes a collection after a confirmation; its persons stay enrolled. */
export function DeleteCollectionButton({ projectId, projectSlug, collectionId, name, persons }: { projectId: string; projectSlug: string; collectionId: string; name: string; persons: number }) {
  const router = useRouter();
  return (
    <ConfirmedActionButton
      label="Delete"
      pendingLabel="Deleting…"
      ariaLabel={`Delete the collection ${name}`}
      className="reject small"
      confirm={() => {
        const who = persons === 0 ? "It has no persons." : persons === 1 ? "Its person stays enrolled, in the project and in their other collections." : `Its ${persons} persons stay enrolled, in the project and in their other collections.`;
        return `Delete the collection ${name}? ${who} Searches limited to it stop working.`;
      }}
      action={() => deleteCollectionAction({ projectId, collectionId })}
      onOk={() => router.push(`/gallery?project=${encodeURIComponent(projectSlug)}`)}
    />
  );
}
