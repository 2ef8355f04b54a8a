"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition } from "react";
import type { ErasurePreview } from "@/app/(console)/admin/retention/actions";
import { eraseSubjectAction, previewErasureAction } from "@/app/(console)/admin/retention/actions";
import { actionErrorText } from "@/components/console/action-runner";
import type { ErasureResult } from "@/lib/retention/erase";

type Mode = "externalRef" | "verificationId";

/**
 * Erasure in three steps: say who (project, and the external reference or a verification
 * id), check what was found, then erase and read the counts. Nothing is removed before the
 * second button.
 */
export function RetentionErasureForm({ projects }: { projects: Array<{ id: string; name: string; slug: string }> }) {
  const router = useRouter();
  const [projectId, setProjectId] = useState(projects[0]?.id ?? "");
  const [mode, setMode] = useState<Mode>("externalRef");
  const [value, setValue] = useState("");
  const [preview, setPreview] = useState<ErasurePreview | null>(null);
  const [result, setResult] = useState<ErasureResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const confirmRef = useRef<HTMLButtonElement>(null);
  // The step after finding is the confirmation: focus moves to it once it is drawn and enabled.
  useEffect(() => {
    if (preview && !pending) confirmRef.current?.focus();
  }, [preview, pending]);

  const selector = () => ({ projectId, [mode]: value.trim() });
  const reset = () => {
    setPreview(null);
    setError(null);
  };

  return (
    <div data-testid="erasure">
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setResult(null);
          reset();
          startTransition(async () => {
            const r = await previewErasureAction(selector());
            if (!r.ok) setError(actionErrorText(r.error));
            else setPreview(r.data);
          });
        }}
      >
        <label>
          Project
          <select
            value={projectId}
            onChange={(e) => {
              setProjectId(e.target.value);
              reset();
            }}
          >
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.slug})
              </option>
            ))}
          </select>
        </label>
        <label>
          Find by
          <select
            value={mode}
            onChange={(e) => {
              setMode(e.target.value as Mode);
              reset();
            }}
          >
            <option value="externalRef">External reference</option>
            <option value="verificationId">Verification id</option>
          </select>
        </label>
        <label className="grow">
          {mode === "externalRef" ? "External reference" : "Verification id"}
          <input
            value={value}
            onChange={(e) => {
              setValue(e.target.value);
              reset();
            }}
            required
            maxLength={256}
            placeholder={mode === "externalRef" ? "the subject's reference in your system" : "ver_..."}
          />
        </label>
        <button type="submit" disabled={pending || !value.trim()}>
          Find
        </button>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
      </form>

      {preview ? (
        <div className="notice" style={{ marginTop: 12 }} data-testid="erasure-preview">
          <p style={{ margin: "0 0 8px" }}>
            Found {preview.verifications} verification{preview.verifications === 1 ? "" : "s"} with {preview.images} image{preview.images === 1 ? "" : "s"} ({preview.storedImages} still stored
            {preview.images > preview.storedImages ? `, ${preview.images - preview.storedImages} already purged by retention` : ""}).
          </p>
          <ul className="plain small">
            {preview.sample.map((v) => (
              <li key={v.id}>
                <Link href={`/records/${v.id}`}>
                  <code>{v.id}</code>
                </Link>{" "}
                <span className="muted">
                  {v.createdAt.replace("T", " ").slice(0, 16)} UTC · {v.status}
                </span>
              </li>
            ))}
            {preview.verifications > preview.sample.length ? <li className="muted">and {preview.verifications - preview.sample.length} more</li> : null}
          </ul>
          <div className="buttons" style={{ marginTop: 10 }}>
            <button
              ref={confirmRef}
              type="button"
              className="reject"
              disabled={pending}
              onClick={() =>
                startTransition(async () => {
                  const r = await eraseSubjectAction(selector());
                  if (!r.ok) setError(actionErrorText(r.error));
                  else {
                    setResult(r.data);
                    setValue("");
                    router.refresh();
                  }
                  setPreview(null);
                })
              }
            >
              Erase permanently
            </button>
            <button type="button" disabled={pending} onClick={reset}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}

      {result ? (
        <p role="status" className="notice" style={{ marginTop: 12 }} data-testid="erasure-result">
          Erased: {result.verifications} verification{result.verifications === 1 ? "" : "s"}, {result.images} image{result.images === 1 ? "" : "s"} ({result.filesRemoved} file
          {result.filesRemoved === 1 ? "" : "s"} removed from the store), {result.galleryEntries} gallery entr{result.galleryEntries === 1 ? "y" : "ies"}. Recorded in the audit trail as{" "}
          <code>subject.erased</code>.
        </p>
      ) : null}
    </div>
  );
}
