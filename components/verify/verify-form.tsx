"use client";

import { unstable_rethrow } from "next/navigation";
import { startTransition, useActionState, useEffect, useId, useRef, useState } from "react";
import type { CSSProperties, ChangeEvent, FormEvent, RefObject } from "react";
import type { VerifyFormState } from "@/app/(console)/verify/actions";
import { runVerificationAction } from "@/app/(console)/verify/actions";
import { useSecondsSince } from "@/components/console/elapsed";
import { formatMegabytes } from "@/components/console/format";
import { PHOTO_TYPES, photoTypeProblem } from "@/lib/photo-files";

type VerificationType = "face_match_liveness" | "face_match" | "selfie_liveness" | "document_selfie";
type Slot = "selfie" | "reference";
type FormError = { code: string; message: string };

const TYPES: ReadonlyArray<{ value: VerificationType; label: string }> = [
  { value: "face_match_liveness", label: "Face match and selfie liveness" },
  { value: "face_match", label: "Face match only" },
  { value: "selfie_liveness", label: "Selfie liveness only" },
  { value: "document_selfie", label: "ID document: document liveness, selfie vs its portrait, selfie liveness" },
];

/** How the server names each image in its messages (the verification service's `naming`). */
const IMAGE_NAME: Record<Slot, string> = { selfie: "selfie", reference: "reference[0]" };

/**
 * The checks the server would make first, with its codes and wording (native-input.ts,
 * lib/inference/image.ts), so a file that cannot pass is refused before it is uploaded.
 */
function checkFile(slot: Slot, file: File | null, required: boolean, maxBytes: number): FormError | null {
  const name = IMAGE_NAME[slot];
  if (!file) {
    if (!required) return null;
    return slot === "selfie"
      ? { code: "INVALID_REQUEST", message: "selfie: a selfie image is required" }
      : { code: "INVALID_REQUEST", message: "reference: a reference photo is required for face matching" };
  }
  if (file.size > maxBytes) return { code: "IMAGE_TOO_LARGE", message: `${name}: The image is larger than ${maxBytes} bytes.` };
  if (file.size === 0) return { code: "INVALID_IMAGE", message: `${name}: The data is not an image.` };
  return photoTypeProblem(name, file.type);
}

/** Which input an error is about, from the image or field name the server puts first. */
function slotOf(error: FormError | null): Slot | null {
  if (!error) return null;
  if (error.message.startsWith("selfie")) return "selfie";
  if (error.message.startsWith("reference")) return "reference";
  return null;
}

/**
 * Calls the server action; a failure before the server answered (connection lost, upload
 * refused by the body limit) becomes an error on the form instead of the error page, which
 * would lose the chosen files. Next's redirect to the new record is passed on.
 */
async function submitVerification(previous: VerifyFormState, formData: FormData): Promise<VerifyFormState> {
  try {
    return await runVerificationAction(previous, formData);
  } catch (error) {
    unstable_rethrow(error);
    return { error: { code: "INTERNAL", message: "The server did not answer: the connection failed or the upload was refused. Try again." } };
  }
}

export function VerifyForm({ projects, maxImageBytes }: { projects: Array<{ id: string; slug: string; name: string }>; maxImageBytes: number }) {
  const [state, dispatch, pending] = useActionState(submitVerification, { error: null });
  const [type, setType] = useState<VerificationType>("face_match_liveness");
  const [files, setFiles] = useState<Record<Slot, File | null>>({ selfie: null, reference: null });
  const [clientError, setClientError] = useState<FormError | null>(null);
  const [upload, setUpload] = useState<{ bytes: number; startedAt: number } | null>(null);
  const inputs = { selfie: useRef<HTMLInputElement>(null), reference: useRef<HTMLInputElement>(null) };
  const id = useId();
  const errorId = `${id}-error`;
  const wantsReference = type !== "selfie_liveness";

  const error = pending ? null : (clientError ?? state.error);
  const invalid = slotOf(error);

  function onFile(slot: Slot) {
    return (event: ChangeEvent<HTMLInputElement>) => {
      const file = event.currentTarget.files?.[0] ?? null;
      setFiles((current) => ({ ...current, [slot]: file }));
      setClientError(checkFile(slot, file, false, maxImageBytes));
    };
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    // Dispatched by hand rather than through <form action>: React resets a form after its
    // action, and an operator correcting one photo should not have to pick both again.
    event.preventDefault();
    if (pending) return;
    const problem = checkFile("selfie", files.selfie, true, maxImageBytes) ?? (wantsReference ? checkFile("reference", files.reference, true, maxImageBytes) : null);
    setClientError(problem);
    if (problem) {
      const slot = slotOf(problem);
      if (slot) inputs[slot].current?.focus();
      return;
    }
    const formData = new FormData(event.currentTarget);
    if (!wantsReference) formData.delete("reference");
    setUpload({ bytes: (files.selfie?.size ?? 0) + (wantsReference ? (files.reference?.size ?? 0) : 0), startedAt: Date.now() });
    startTransition(() => dispatch(formData));
  }

  return (
    <form method="post" onSubmit={onSubmit} noValidate aria-busy={pending} style={styles.form}>
      <fieldset disabled={pending} style={styles.fieldset}>
        <legend style={styles.hidden}>Photos and options</legend>
        <div style={styles.row}>
          <div style={styles.label}>
            <label htmlFor={`${id}-project`}>Project</label>
            <select id={`${id}-project`} name="projectId" defaultValue={projects[0]?.id} style={styles.control}>
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.slug})
                </option>
              ))}
            </select>
          </div>
          <div style={styles.label}>
            <label htmlFor={`${id}-type`}>Checks</label>
            <select id={`${id}-type`} name="type" value={type} onChange={(e) => setType(e.currentTarget.value as VerificationType)} style={styles.control}>
              {TYPES.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          </div>
        </div>

        <div style={styles.row}>
          <PhotoInput
            slot="selfie"
            label="Selfie"
            hint="The customer's live selfie: exactly one face."
            file={files.selfie}
            inputRef={inputs.selfie}
            onChange={onFile("selfie")}
            invalid={invalid === "selfie"}
            errorId={errorId}
          />
          <PhotoInput
            slot="reference"
            label={type === "document_selfie" ? "ID document (front side)" : "Reference photo"}
            hint={
              type === "document_selfie"
                ? "A photo of the whole document with a margin around it; its portrait is found and compared with the selfie."
                : wantsReference
                  ? "The photo to compare with, such as the ID document's portrait."
                  : "Not used for selfie liveness alone."
            }
            file={files.reference}
            inputRef={inputs.reference}
            onChange={onFile("reference")}
            invalid={invalid === "reference"}
            errorId={errorId}
            disabled={!wantsReference}
          />
        </div>

        <div style={styles.label}>
          <label htmlFor={`${id}-external-ref`}>Customer reference (optional)</label>
          <input id={`${id}-external-ref`} name="externalRef" type="text" maxLength={200} autoComplete="off" placeholder="e.g. the customer's case number" style={styles.control} />
        </div>
        <p style={styles.muted}>JPEG, PNG or WebP, up to {formatMegabytes(maxImageBytes)} each.</p>

        <div>
          <button type="submit" style={{ ...styles.button, opacity: pending ? 0.6 : 1, cursor: pending ? "progress" : "pointer" }}>
            {pending ? "Running checks…" : "Run checks"}
          </button>
        </div>
      </fieldset>

      {error ? (
        <div id={errorId} role="alert" style={styles.alert}>
          <code>{error.code}</code> {error.message}
          {error.code === "UNAUTHORIZED" ? (
            <>
              {" "}
              <a href="/login?next=%2Fverify">Sign in again</a>
            </>
          ) : null}
        </div>
      ) : null}

      {pending && upload ? <Progress bytes={upload.bytes} startedAt={upload.startedAt} /> : null}
    </form>
  );
}

/**
 * What the browser can honestly tell while the action runs: a server action gives no upload
 * progress and no signal between "the upload ended" and "the checks ended", so the panel names
 * both steps as in flight together and counts the seconds.
 */
function Progress({ bytes, startedAt }: { bytes: number; startedAt: number }) {
  const seconds = useSecondsSince(startedAt);
  return (
    <section aria-label="Progress" style={styles.progress}>
      <p role="status" style={{ margin: 0 }}>
        Uploading {formatMegabytes(bytes)}, then running face detection, matching and liveness on the server…
      </p>
      <progress aria-label="Checks in progress" style={styles.bar} />
      <p style={styles.muted}>
        <span>{seconds} s elapsed.</span> The browser cannot see when the upload ends, so both steps show until the server answers; the
        record opens by itself.
      </p>
    </section>
  );
}

function PhotoInput(props: {
  slot: Slot;
  label: string;
  hint: string;
  file: File | null;
  inputRef: RefObject<HTMLInputElement | null>;
  onChange: (event: ChangeEvent<HTMLInputElement>) => void;
  invalid: boolean;
  errorId: string;
  disabled?: boolean;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div style={{ ...styles.photo, opacity: props.disabled ? 0.5 : 1 }}>
      <div style={styles.label}>
        <label htmlFor={id}>{props.label}</label>
        <input
          id={id}
          ref={props.inputRef}
          name={props.slot}
          type="file"
          accept={PHOTO_TYPES.join(",")}
          onChange={props.onChange}
          disabled={props.disabled}
          aria-invalid={props.invalid || undefined}
          aria-describedby={props.invalid ? `${hintId} ${props.errorId}` : hintId}
          style={styles.control}
        />
      </div>
      <p id={hintId} style={styles.muted}>
        {props.hint}
      </p>
      <Preview file={props.disabled ? null : props.file} alt={`${props.label} preview`} />
    </div>
  );
}

/** A preview through an object URL, revoked when the file changes or the preview unmounts. */
function Preview({ file, alt }: { file: File | null; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file) {
      setUrl(null);
      return;
    }
    const objectUrl = URL.createObjectURL(file);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [file]);
  if (!file) return <div style={styles.empty}>No file chosen</div>;
  return (
    <figure style={styles.figure}>
      {/* A plain img: next/image cannot optimise an object URL of a local file. */}
      {url ? <img src={url} alt={alt} decoding="async" style={styles.image} /> : <div style={styles.empty} />}
      <figcaption style={styles.muted}>
        {file.name} · {formatMegabytes(file.size)}
      </figcaption>
    </figure>
  );
}

const styles = {
  form: { display: "grid", gap: 16 },
  fieldset: { border: 0, padding: 0, margin: 0, display: "grid", gap: 16, minWidth: 0 },
  hidden: { position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap" },
  row: { display: "grid", gap: 16, gridTemplateColumns: "repeat(auto-fit, minmax(260px, 1fr))" },
  label: { display: "grid", gap: 6, fontWeight: 500 },
  control: { font: "inherit", color: "var(--text)", background: "var(--panel)", border: "1px solid #2a2f3c", borderRadius: 6, padding: "8px 10px" },
  muted: { color: "var(--muted)", fontSize: 13, margin: 0 },
  photo: { display: "grid", gap: 8, alignContent: "start", background: "var(--panel)", borderRadius: 8, padding: 16 },
  figure: { margin: 0, display: "grid", gap: 6 },
  image: { width: "100%", height: 240, objectFit: "contain", background: "var(--bg)", borderRadius: 6 },
  empty: { height: 240, display: "grid", placeItems: "center", color: "var(--muted)", background: "var(--bg)", borderRadius: 6 },
  button: { font: "inherit", fontWeight: 600, color: "#fff", background: "var(--accent)", border: 0, borderRadius: 6, padding: "10px 20px", cursor: "pointer" },
  alert: { border: "1px solid var(--reject)", color: "var(--text)", background: "color-mix(in srgb, var(--reject) 12%, var(--panel))", borderRadius: 8, padding: "12px 16px" },
  progress: { display: "grid", gap: 10, background: "var(--panel)", borderLeft: "4px solid var(--accent)", borderRadius: 8, padding: "14px 16px" },
  bar: { width: "100%", accentColor: "var(--accent)" },
} satisfies Record<string, CSSProperties>;
