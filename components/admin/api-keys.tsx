"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { createKeyAction, revokeKeyAction } from "@/app/(console)/admin/keys/actions";
import { actionErrorText, ConfirmedActionButton } from "@/components/console/action-runner";

const SCOPES = ["verify", "documents", "search"] as const;

/** Makes a key; its secret is shown once, to copy into the integrating system. */
export function CreateKeyForm({ projects }: { projects: Array<{ id: string; slug: string; name: string }> }) {
  const router = useRouter();
  const [projectId, setProjectId] = useState(projects[0]?.id ?? "");
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>([...SCOPES]);
  const [quota, setQuota] = useState("");
  const [result, setResult] = useState<{ tone: "error" | "info"; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <form
      className="panel inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        startTransition(async () => {
          const r = await createKeyAction({ projectId, name, scopes, quota: quota ? Number(quota) : null });
          if (!r.ok) setResult({ tone: "error", text: actionErrorText(r.error) });
          else {
            setResult({ tone: "info", text: `New key (shown once, copy it now): ${r.data.secret}` });
            setName("");
            router.refresh();
          }
        });
      }}
    >
      <label>
        Project
        <select value={projectId} onChange={(e) => setProjectId(e.target.value)}>
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <label className="grow">
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. onboarding backend" required maxLength={80} />
      </label>
      <fieldset className="scopes">
        <legend>Scopes</legend>
        {SCOPES.map((scope) => (
          <label key={scope} className="check">
            <input type="checkbox" checked={scopes.includes(scope)} onChange={(e) => setScopes(e.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))} />
            {scope}
          </label>
        ))}
      </fieldset>
      <label>
        Quota (requests)
        <input type="number" min={1} value={quota} onChange={(e) => setQuota(e.target.value)} placeholder="unlimited" />
      </label>
      <button type="submit" disabled={pending}>
        Create key
      </button>
      {result ? (
        <p role={result.tone === "error" ? "alert" : "status"} className={result.tone === "error" ? "error" : "notice"}>
          <code>{result.text}</code>
        </p>
      ) : null}
    </form>
  );
}

export function RevokeKeyButton({ keyId, prefix }: { keyId: string; prefix: string }) {
  const router = useRouter();
  return (
    <ConfirmedActionButton
      label="Revoke"
      confirm={() => `Revoke ${prefix}…? Requests with it will fail from now on.`}
      action={() => revokeKeyAction({ keyId })}
      onOk={() => router.refresh()}
    />
  );
}
