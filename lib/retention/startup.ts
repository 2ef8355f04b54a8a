import "server-only";
import type { Database } from "@/db/client";
import type { ImageStore } from "@/lib/storage";
import type { RetentionJob } from "./job";
import { startRetentionJob } from "./job";

const globalKey = Symbol.for("vigil.retentionJob");
type Holder = { [globalKey]?: RetentionJob };

/**
 * Starts the server process's image retention job (once per process): a first run a minute
 * after start, then hourly. On SIGTERM or SIGINT it stops taking new runs (a batch cut short
 * by the exit rolls back and is redone by the next run, on any instance).
 *
 * The listener goes first and only re-raises the signal when it was the only one: with
 * Next.js's own handler or the webhook dispatcher's still to run, ending the process is theirs
 * to do, after their own graceful stop. Alone, it raises the signal again after the stop, so
 * the process still ends as it would have.
 */
export function startRetention(db: Database, store: ImageStore): RetentionJob {
  const holder = globalThis as Holder;
  if (holder[globalKey]) return holder[globalKey];
  const job = startRetentionJob(db, store, {
    onPurged: (report) => console.log(`vigil: retention: purged ${report.images} images past their project's retention`),
  });
  holder[globalKey] = job;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.prependOnceListener(signal, () => {
      const alone = process.listenerCount(signal) === 0;
      void job.stop().finally(() => {
        if (alone && process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    });
  }
  return job;
}
