"use client";

import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { createCollectionAction } from "@/app/(console)/gallery/actions";
import { ActionError, useActionRunner } from "@/components/console/action-runner";

/** Admins only: names a new collection of the project; the table above shows it once created. */
export function CreateCollectionForm({ projectId }: { projectId: string }) {
  const router = useRouter();
  const { error, pending, run } = useActionRunner();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const id = useId();
  return (
    <form
      className="inline-form"
      aria-labelledby={`${id}-heading`}
      data-testid="create-collection-form"
      onSubmit={(event) => {
        event.preventDefault();
        setCreated(null);
        run(
          () => createCollectionAction({ projectId, name, description }),
          (data) => {
            setCreated(data.name);
            setName("");
            setDescription("");
            router.refresh();
          },
        );
      }}
    >
      <h3 id={`${id}-heading`} style={{ flexBasis: "100%", margin: "16px 0 0" }}>
        New collection
      </h3>
      <label>
        Name
        <input name="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} autoComplete="off" />
      </label>
      <label className="grow">
        Description (optional)
        <input name="description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} autoComplete="off" />
      </label>
      <button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create collection"}
      </button>
      {created ? (
        <p role="status" className="notice">
          Created the collection {created}.
        </p>
      ) : null}
      <ActionError error={error} />
    </form>
  );
}
