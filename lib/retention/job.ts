import "server-only";
import type { Database } from "@/db/client";
import { describeDatabaseError } from "@/db/errors";
import type { ImageStore } from "@/lib/storage";
import type { PurgeReport } from "./purge";
import { purgeExpiredImages } from "./purge";

/** What this process's retention job has done, for /api/metrics. */
export interface RetentionStats {
  runs: number;
  failedRuns: number;
  imagesPurged: number;
  /** Unix milliseconds of the last run that finished without an error; null before the first. */
  lastSuccessAt: number | null;
}

// On globalThis: instrumentation and route handlers may load separate copies of this module.
const statsKey = Symbol.for("vigil.retentionStats");
type StatsHolder = { [statsKey]?: RetentionStats };

export function getRetentionStats(): RetentionStats {
  const holder = globalThis as StatsHolder;
  holder[statsKey] ??= { runs: 0, failedRuns: 0, imagesPurged: 0, lastSuccessAt: null };
  return holder[statsKey];
}

export interface RetentionJobOptions {
  /** Time between the end of one run and the start of the next (default 1 hour). */
  intervalMs?: number;
  /** Delay of the first run after start (default 1 minute, so start-up work goes first). */
  firstRunDelayMs?: number;
  /** Where a failed run is reported (default console.error). */
  onError?: (message: string) => void;
  /** Called after each run that purged something. */
  onPurged?: (report: PurgeReport) => void;
}

export interface RetentionJob {
  /** Runs now unless a run is in progress, in which case it waits for that one. */
  runNow(): Promise<PurgeReport | null>;
  /** Cancels the next run and waits for one in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs `purgeExpiredImages` shortly after start and then every `intervalMs`. Runs never
 * overlap in a process: the next one is scheduled when the last one ends. Across processes
 * the batches claim rows with SKIP LOCKED, so several instances may run the job at once. The
 * timer is unref'd and never keeps the process alive.
 */
export function startRetentionJob(db: Database, store: ImageStore, options: RetentionJobOptions = {}): RetentionJob {
  const intervalMs = options.intervalMs ?? 3_600_000;
  const onError = options.onError ?? ((message: string) => console.error(`vigil: retention: ${message}`));
  const stats = getRetentionStats();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<PurgeReport | null> | null = null;
  let stopped = false;

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), ms);
    timer.unref();
  };

  const run = (): Promise<PurgeReport | null> => {
    if (running) return running;
    if (stopped) return Promise.resolve(null);
    clearTimeout(timer);
    running = (async () => {
      try {
        const report = await purgeExpiredImages(db, store, new Date());
        stats.runs++;
        stats.imagesPurged += report.images;
        stats.lastSuccessAt = Date.now();
        if (report.images > 0) options.onPurged?.(report);
        return report;
      } catch (error) {
        stats.runs++;
        stats.failedRuns++;
        onError(`purge failed: ${describeDatabaseError(error)}`);
        return null;
      } finally {
        running = null;
        schedule(intervalMs);
      }
    })();
    return running;
  };

  schedule(options.firstRunDelayMs ?? 60_000);
  return {
    runNow: run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
