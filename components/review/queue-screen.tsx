"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useState, useTransition } from "react";
import { claimNextAction } from "@/app/(console)/queue/actions";
import { actionErrorText } from "@/components/console/action-runner";
import { fetchJson } from "@/components/console/fetch-json";
import { checkLabels, formatAge, isTypingOrModified } from "@/components/console/format";
import { ShortcutsHelp } from "@/components/console/shortcuts-help";
import { queryKeys } from "@/components/query-keys";
import type { QueueView } from "@/lib/review/queue-view";

const shortCheckLabels: Record<string, string> = { face_match: "match", selfie_liveness: "live", document_liveness: "doc", duplicate: "dup" };
const FILTER_KEYS = ["check", "project", "band", "age"] as const;
const POLL_MS = 5000;

export const queueShortcuts = [
  { key: "N", action: "Take the next case" },
  { key: "?", action: "Show or hide shortcuts" },
];

/** The review queue: counts, filters, the cases waiting, refreshed every few seconds. */
export function QueueScreen({ initial, empty }: { initial: QueueView; empty: boolean }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? undefined]));
  const query = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => !!e[1])).toString();
  const { data, dataUpdatedAt, isError, error } = useQuery({
    queryKey: queryKeys.queue(filters),
    queryFn: () => fetchJson<QueueView>(`/api/console/queue${query ? `?${query}` : ""}`),
    initialData: initial,
    initialDataUpdatedAt: Date.parse(initial.at),
    refetchInterval: POLL_MS,
  });
  const [message, setMessage] = useState<string | null>(empty ? "The queue is empty: nothing waits for you." : null);
  const [pending, startTransition] = useTransition();
  // Set once the shortcuts listen: tests and the benchmark wait for it before pressing keys.
  const [keysReady, setKeysReady] = useState(false);
  const [now, setNow] = useState(() => Date.parse(initial.at));
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(key, value);
    else next.delete(key);
    next.delete("empty");
    router.replace(`${pathname}${next.size ? `?${next}` : ""}`);
  };

  const takeNext = useCallback(() => {
    startTransition(async () => {
      const result = await claimNextAction({ filters: { check: filters.check, projectId: filters.project, band: filters.band, minAgeHours: filters.age ? Number(filters.age) : undefined } });
      if (!result.ok) setMessage(actionErrorText(result.error));
      else if (result.data.caseId) router.push(`/cases/${result.data.caseId}`);
      else setMessage("The queue is empty: nothing waits for you.");
    });
    // filters is rebuilt each render from the URL; its fields are what matter.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [router, filters.check, filters.project, filters.band, filters.age]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTypingOrModified(event)) return;
      if (event.key === "n" || event.key === "N") {
        event.preventDefault();
        takeNext();
      }
    };
    window.addEventListener("keydown", onKey);
    setKeysReady(true);
    return () => window.removeEventListener("keydown", onKey);
  }, [takeNext]);

  const { summary } = data;
  const oldest = summary.oldestSince ? formatAge(now - Date.parse(summary.oldestSince)) : "-";
  return (
    <main className="wide" data-testid="queue-screen" data-keys-ready={keysReady}>
      <div className="page-head">
        <h1>Queue</h1>
        <div className="actions">
          <ShortcutsHelp shortcuts={queueShortcuts} />
          <button type="button" className="primary" onClick={takeNext} disabled={pending} aria-keyshortcuts="N">
            {pending ? "Taking…" : "Next case (N)"}
          </button>
        </div>
      </div>
      {message ? (
        <p role="status" className="notice">
          {message}
        </p>
      ) : null}

      <section className="stats" aria-label="Queue summary">
        <Stat label="Waiting" value={summary.waiting} />
        <Stat label="Claimed now" value={summary.claimed} />
        <Stat label="Awaiting 2nd reviewer" value={summary.awaitingConfirmation} />
        <Stat label="Past SLA" value={summary.overdue} tone={summary.overdue > 0 ? "bad" : undefined} />
        <Stat label="Oldest waiting" value={oldest} testId="oldest-waiting" />
        <Stat label="Decided (24 h)" value={summary.decidedToday} />
      </section>

      <section className="filters" aria-label="Filters">
        <label>
          Check
          <select value={filters.check ?? ""} onChange={(e) => setFilter("check", e.target.value)}>
            <option value="">All</option>
            {Object.entries(checkLabels).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Project
          <select value={filters.project ?? ""} onChange={(e) => setFilter("project", e.target.value)}>
            <option value="">All</option>
            {data.projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Band
          <select value={filters.band ?? ""} onChange={(e) => setFilter("band", e.target.value)}>
            <option value="">All</option>
            <option value="review">Review</option>
            <option value="reject">Reject (reopened)</option>
          </select>
        </label>
        <label>
          Waiting
          <select value={filters.age ?? ""} onChange={(e) => setFilter("age", e.target.value)}>
            <option value="">Any time</option>
            <option value="1">Over 1 hour</option>
            <option value="4">Over 4 hours</option>
            <option value="24">Over 24 hours</option>
          </select>
        </label>
        <span className="muted refreshed" aria-live="polite">
          {isError ? `Refresh failed: ${(error as Error).message}` : `Updated ${formatAge(now - dataUpdatedAt)} ago`}
        </span>
      </section>

      {data.items.length === 0 ? (
        <p className="muted">No cases match.</p>
      ) : (
        <table className="queue">
          <thead>
            <tr>
              <th>Waiting</th>
              <th>Project</th>
              <th>Type</th>
              <th>Why</th>
              <th>Scores</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((item) => (
              <tr key={item.caseId} data-testid="queue-row" className={item.overdue ? "overdue" : undefined}>
                <td>
                  <Link href={`/cases/${item.caseId}`} prefetch={false}>{formatAge(now - Date.parse(item.createdAt))}</Link>
                  {item.overdue ? (
                    <span className="badge reject" title="Waiting longer than the project's SLA">
                      SLA
                    </span>
                  ) : null}
                </td>
                <td>{item.project.name}</td>
                <td>{item.type.replaceAll("_", " ")}</td>
                <td>
                  {item.reasons.map((r) => checkLabels[r] ?? r).join(", ")}
                  {item.stage === "confirmation" ? <span className="badge review">needs 2nd reviewer</span> : null}
                </td>
                <td className="scores">
                  {item.checks.map((c) => (
                    <span key={c.check} className={`badge ${c.band ?? ""}`} title={checkLabels[c.check]}>
                      {shortCheckLabels[c.check] ?? c.check} {c.score === null ? "-" : c.score.toFixed(3)}
                    </span>
                  ))}
                </td>
                <td>{item.state === "claimed" ? `claimed by ${item.claimedByName}` : "open"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

function Stat({ label, value, tone, testId }: { label: string; value: number | string; tone?: "bad"; testId?: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <span className="muted">{label}</span>
      <strong className={tone}>{value}</strong>
    </div>
  );
}
