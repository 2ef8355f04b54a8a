"use client";

import { useRouter } from "next/navigation";
import { deletePersonAction } from "@/app/(console)/gallery/actions";
import { ConfirmedActionButton } from "@/components/console/action-runner";

/** Admins only: deletes an enrolled person after a confirmation, then returns to the gallery. */
export function DeletePersonButton({ projectId, projectSlug, personId, name, faces }: { projectId: string; projectSlug: string; personId: string; name: string; faces: number }) {
  const router = useRouter();
  return (
    <ConfirmedActionButton
      label="Delete person"
      pendingLabel="Deleting…"
      confirm={() => {
        const what = faces === 1 ? "their enrolled face" : `their ${faces} enrolled faces`;
        return `Delete ${name} and ${what}? Searches stop finding them at once; duplicate checks that named them keep the name and score.`;
      }}
      action={() => deletePersonAction({ projectId, personId })}
      onOk={() => router.push(`/gallery?project=${encodeURIComponent(projectSlug)}&deleted=1`)}
    />
  );
}
