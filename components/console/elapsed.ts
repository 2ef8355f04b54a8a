"use client";

import { useEffect, useState } from "react";

/** Whole seconds since `startedAt` (ms since the epoch), counted up while the component is shown: for the progress panels of long actions. */
export function useSecondsSince(startedAt: number): number {
  const [now, setNow] = useState(startedAt);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 250);
    return () => window.clearInterval(timer);
  }, []);
  return Math.max(0, Math.floor((now - startedAt) / 1000));
}
