"use client";

import { createContext, useCallback, useContext, useMemo, useState } from "react";
import type { ReactNode } from "react";

export type DuplicateVerdict = "same" | "different";

export interface CandidateVerdict {
  candidateId: string;
  personName: string;
  verdict: DuplicateVerdict | null;
  /** Who gave the verdict, as the page shows people (an e-mail address). */
  by: string | null;
  /** ISO time of the verdict. */
  at: string | null;
}

interface DuplicateVerdictsValue {
  candidates: CandidateVerdict[];
  /** Keeps a verdict the server recorded, so every part of the page shows it without a reload. */
  recorded: (candidateId: string, verdict: DuplicateVerdict, by: string, at: string) => void;
}

const DuplicateVerdictsContext = createContext<DuplicateVerdictsValue>({ candidates: [], recorded: () => {} });

/**
 * The possible-duplicate verdicts of the verification on screen, shared by the duplicate panel
 * (which records them) and the decision panel (which says the applicant is already enrolled).
 * A reload is avoided on purpose: it would sign every image URL again and fetch them anew.
 */
export function DuplicateVerdictsProvider({ initial, children }: { initial: CandidateVerdict[]; children: ReactNode }) {
  const [candidates, setCandidates] = useState(initial);
  const recorded = useCallback((candidateId: string, verdict: DuplicateVerdict, by: string, at: string) => {
    setCandidates((list) => list.map((c) => (c.candidateId === candidateId ? { ...c, verdict, by, at } : c)));
  }, []);
  const value = useMemo(() => ({ candidates, recorded }), [candidates, recorded]);
  return <DuplicateVerdictsContext.Provider value={value}>{children}</DuplicateVerdictsContext.Provider>;
}

/** The verdicts of the page's duplicate candidates; empty outside a provider. */
export function useDuplicateVerdicts(): DuplicateVerdictsValue {
  return useContext(DuplicateVerdictsContext);
}

/** The duplicate panel's keys, for the case page's `?` help. */
export const duplicateShortcuts: ReadonlyArray<{ key: string; action: string }> = [
  { key: "M", action: "Possible duplicate: same person (a match)" },
  { key: "D", action: "Possible duplicate: different person" },
];
