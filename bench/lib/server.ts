/**
 * The production server as a benchmark target: `npx next build` once, `npx next start` on a
 * data directory of its own (fresh PGlite and image store), the API key it prints on a first
 * start, readiness through /api/health, and a hard kill of the process that serves the port.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

const BUILD_ID = join(process.cwd(), ".next", "BUILD_ID");
const ROUTES_MANIFEST = join(process.cwd(), ".next", "app-path-routes-manifest.json");
const BUILD_TIMEOUT_MS = 10 * 60_000;
const DEMO_KEY_MARKER = 'first start: created project "demo"';

export interface LogLine {
  atMs: number;
  stream: "stdout" | "stderr";
  text: string;
}

export interface Server {
  port: number;
  dataDir: string;
  baseUrl: string;
  /** The spawned `npx` process, leader of the process group holding the whole server. */
  groupId: number;
  /** Printed only on the first start of an empty data directory. */
  apiKey: string | null;
  /** From spawn to the first 200 of /api/health. */
  startMs: number;
  log: LogLine[];
  exited: Promise<void>;
}

/** Builds the production bundle when there is none (or when asked); never twice by accident. */
export function ensureBuild(rebuild: boolean): void {
  if (!rebuild && existsSync(BUILD_ID)) return;
  console.log("bench: npx next build (about a minute)...");
  const result = spawnSync("npx", ["next", "build"], { stdio: "inherit", timeout: BUILD_TIMEOUT_MS });
  if (result.status !== 0) throw new Error(`next build failed (status ${result.status}, signal ${result.signal})`);
}

/** Whether the current build serves an App Router route, e.g. "/v2/face-recognition/compare-with-liveness". */
export function buildHasRoute(route: string): boolean {
  if (!existsSync(ROUTES_MANIFEST)) return false;
  const manifest = JSON.parse(readFileSync(ROUTES_MANIFEST, "utf8")) as Record<string, string>;
  return Object.values(manifest).includes(route);
}

function captureLines(child: ChildProcess, log: LogLine[], started: number): void {
  for (const stream of ["stdout", "stderr"] as const) {
    let pending = "";
    child[stream]!.setEncoding("utf8");
    child[stream]!.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const text of lines) log.push({ atMs: performance.now() - started, stream, text });
    });
  }
}

/** The key printed on the line after the first-start marker (indented, `vgl_...`). */
export function parseDemoKey(log: LogLine[]): string | null {
  const marker = log.findIndex((l) => l.stream === "stdout" && l.text.includes(DEMO_KEY_MARKER));
  if (marker < 0) return null;
  for (const line of log.slice(marker + 1)) {
    const match = /^\s+(vgl_[A-Za-z0-9_-]+)\s*$/.exec(line.text);
    if (match) return match[1];
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function healthStatus(baseUrl: string): Promise<number | null> {
  try {
    const response = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return null;
  }
}

/**
 * Starts `npx next start -p port` with VIGIL_DATA_DIR=dataDir in a process group of its own
 * and waits until /api/health answers 200 (the inference workers are ready). `env` adds to
 * (or overrides) this process's environment, e.g. DATABASE_URL for instances of a cluster.
 */
export async function startServer(options: { port: number; dataDir: string; timeoutMs?: number; env?: Record<string, string> }): Promise<Server> {
  const { port, dataDir } = options;
  const started = performance.now();
  const child = spawn("npx", ["next", "start", "-p", String(port)], {
    // Load tests measure the server, not the per-key rate limit. `env` adds settings (DATABASE_URL...).
    env: { VIGIL_API_RATE_LIMIT_PER_MINUTE: "0", ...process.env, ...options.env, VIGIL_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const log: LogLine[] = [];
  captureLines(child, log, started);
  let exitedEarly = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => ((exitedEarly = true), resolve())));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = started + (options.timeoutMs ?? 180_000);
  while ((await healthStatus(baseUrl)) !== 200) {
    if (exitedEarly) throw new Error(`server exited before it was ready:\n${tail(log)}`);
    if (performance.now() > deadline) {
      killGroup(child.pid!, "SIGKILL");
      throw new Error(`server not healthy after ${options.timeoutMs ?? 180_000} ms:\n${tail(log)}`);
    }
    await sleep(250);
  }
  const startMs = performance.now() - started;
  // The key line follows the marker in the same write; give the pipe a moment all the same.
  await sleep(100);
  return { port, dataDir, baseUrl, groupId: child.pid!, apiKey: parseDemoKey(log), startMs, log, exited };
}

function tail(log: LogLine[], n = 30): string {
  return log
    .slice(-n)
    .map((l) => `  ${l.text}`)
    .join("\n");
}

function killGroup(groupId: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-groupId, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Pids of the live processes in a process group, from /proc/<pid>/stat. */
export function groupPids(groupId: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === groupId && fields[0] !== "Z") pids.push(Number(entry));
    } catch {
      // The process ended while the directory was read.
    }
  }
  return pids;
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const row of readFileSync(table, "utf8").trim().split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      // local_address is "ADDR:PORT" in hex; state 0A is LISTEN; column 9 is the inode.
      if (cols[1].endsWith(`:${hexPort}`) && cols[3] === "0A") inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The pid in the server's process group that holds the listening socket of its port. */
export function listeningPid(server: Server): number | null {
  const inodes = listeningInodes(server.port);
  for (const pid of groupPids(server.groupId)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match && inodes.has(match[1])) return pid;
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  return null;
}

/** Resident memory of a process in MiB, or null once it is gone. */
export function rssMiB(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

async function waitGroupGone(groupId: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (groupPids(groupId).length > 0) {
    if (performance.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * kill -9 of the process serving the port (the `next-server` node process, where the request
 * handlers and the inference worker threads live), then of what is left of its group (npx,
 * sh, esbuild helpers), so the data directory is free for a restart. Resolves once nothing listens
 * on the port any more.
 */
export async function killServerHard(server: Server): Promise<{ pid: number }> {
  const pid = listeningPid(server);
  if (pid === null) throw new Error(`no process of group ${server.groupId} listens on port ${server.port}`);
  process.kill(pid, "SIGKILL");
  killGroup(server.groupId, "SIGKILL");
  if (!(await waitGroupGone(server.groupId, 10_000))) throw new Error(`process group ${server.groupId} still alive after SIGKILL`);
  // The leader shows as a zombie while its other threads (the inference workers) still exit,
  // and until the last one has, the listening socket accepts connections and resets them.
  const deadline = performance.now() + 10_000;
  while (listeningInodes(server.port).size > 0) {
    if (performance.now() > deadline) throw new Error(`port ${server.port} still listening 10 s after SIGKILL`);
    await sleep(20);
  }
  return { pid };
}

/** A clean stop: SIGTERM to the group, SIGKILL after 10 s. */
export async function stopServer(server: Server): Promise<void> {
  killGroup(server.groupId, "SIGTERM");
  if (await waitGroupGone(server.groupId, 10_000)) return;
  killGroup(server.groupId, "SIGKILL");
  await waitGroupGone(server.groupId, 5_000);
}

/** Expected on every run: npm's own config warnings, the key generated for a fresh data directory, the AWS SDK's Node notice. */
const NOISE = [
  /^npm warn Unknown (env|project|user) config/,
  /^vigil: generated a storage key/,
  // The AWS SDK's notice that its 2027 releases need Node 22 (S3 storage only), nine lines.
  /NodeVersionSupportWarning: The AWS SDK/,
  /^versions published after the first week of January 2027/,
  /^will require node >=22/,
  /^To continue receiving updates to AWS services/,
  /^and security updates please upgrade to node >=22/,
  /^More information can be found at: https:\/\/a\.co\//,
  /^\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)/,
  /^\s*$/,
];

/** Server log lines worth a reader's attention: errors, warnings, failures, stack frames. */
export function notableLogLines(log: LogLine[]): LogLine[] {
  return log.filter((l) => !NOISE.some((re) => re.test(l.text)) && (l.stream === "stderr" || /error|warn|fail|unhandled|exception|\b5\d\d\b/i.test(l.text)));
}
