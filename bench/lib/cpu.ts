/**
 * Who used the CPU during a measurement, from /proc: the machine is shared, and a figure taken
 * while another process was busy says little about the server. Shares are of the whole machine
 * (all cores), computed from jiffies so the clock-tick rate cancels out.
 */
import { readFileSync } from "node:fs";

export interface CpuSample {
  /** Jiffies of all cores, busy and idle. */
  total: number;
  busy: number;
  /** Busy jiffies of the watched processes (threads included), by pid. */
  byPid: Map<number, number>;
}

export interface CpuShare {
  /** Percent of the machine busy. */
  machinePct: number;
  /** Percent used by the watched processes (server and load generator). */
  watchedPct: number;
  /** Percent used by everything else: above a few percent the figures are disturbed. */
  othersPct: number;
}

function machineJiffies(): { total: number; busy: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  // cpu user nice system idle iowait irq softirq steal ...
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { total, busy: total - fields[3] - fields[4] };
}

/** utime + stime of a process (all its threads), or null once it is gone. */
function processJiffies(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the comm: state(0) ... utime is field 14 of the full line, index 11 here.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

export function sampleCpu(pids: number[]): CpuSample {
  const byPid = new Map<number, number>();
  for (const pid of pids) {
    const jiffies = processJiffies(pid);
    if (jiffies !== null) byPid.set(pid, jiffies);
  }
  return { ...machineJiffies(), byPid };
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0);

/** Machine, watched and other CPU use between two samples (processes present in both). */
export function cpuShare(before: CpuSample, after: CpuSample): CpuShare {
  const total = after.total - before.total;
  const busy = after.busy - before.busy;
  let watched = 0;
  for (const [pid, end] of after.byPid) watched += end - (before.byPid.get(pid) ?? end);
  return { machinePct: pct(busy, total), watchedPct: pct(watched, total), othersPct: pct(Math.max(0, busy - watched), total) };
}

/**
 * Waits (at most `maxSeconds`) until the rest of the machine stays under `quietPct` of the CPU
 * for one 2 s sample; returns the last sample's share of other processes.
 */
export async function waitForQuietMachine(maxSeconds: number, quietPct = 15): Promise<{ othersPct: number; waitedS: number }> {
  const started = performance.now();
  for (;;) {
    const before = sampleCpu([process.pid]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const { othersPct } = cpuShare(before, sampleCpu([process.pid]));
    const waitedS = Math.round((performance.now() - started) / 1000);
    if (othersPct < quietPct || waitedS >= maxSeconds) return { othersPct, waitedS };
  }
}
