/**
 * nginx from Debian as the load balancer in front of several `next start` instances: a
 * generated config in a temporary directory, the master process in the foreground (in a
 * process group of its own, so one kill ends its workers too), stopped and removed always.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const NGINX_BINARY = process.env.VIGIL_TEST_NGINX || "/usr/sbin/nginx";

/** Why nginx cannot be used here, or null when it can. */
export function nginxUnavailableReason(): string | null {
  if (!existsSync(NGINX_BINARY)) {
    const fix = process.getuid?.() === 0 ? "`apt-get install -y nginx` (npm test does this as root)" : "`sudo apt-get install -y nginx`";
    return `nginx not found at ${NGINX_BINARY}: install it with ${fix}`;
  }
  const version = spawnSync(NGINX_BINARY, ["-v"], { encoding: "utf8" });
  if (version.status !== 0) return `${NGINX_BINARY} -v failed: ${version.stderr || version.error?.message}`;
  return null;
}

export interface NginxOptions {
  /** Port nginx listens on, on 127.0.0.1. */
  port: number;
  /** The instances, `127.0.0.1:<port>`, in round-robin order. */
  upstreams: string[];
  /** How long a failed instance is left out before nginx tries it again (default 2 s). */
  failTimeoutSeconds?: number;
  /** Longest wait for an instance's answer (default 60 s: a verification under load). */
  readTimeoutSeconds?: number;
  /** Largest request body (default 41 MiB, a little over VIGIL_MAX_BODY_BYTES). */
  maxBodyBytes?: number;
}

/**
 * The config of the README's deployment section, with every path inside `dir`.
 *
 * Retries: `proxy_next_upstream error timeout` without `non_idempotent`. nginx then passes a
 * request to the next instance only when it could not be handed to the first (connection
 * refused or reset before anything was sent, connect time-out) or, for GET and HEAD, when the
 * first failed before answering. A POST that reached an instance is never replayed: that
 * instance may have stored the verification, so a blind retry could store it twice; the client
 * gets a 502 and decides (with an Idempotency-Key, a retry is safe).
 *
 * X-Forwarded-For is set to the client's address, not appended to: Vigil takes the first hop
 * as the client for the sign-in rate limit, and a client could otherwise choose it.
 *
 * No `keepalive` to the instances: a POST sent on an idle upstream connection that the
 * instance has just closed (Node's keep-alive time-out, or a crash) counts as sent, so nginx
 * may not retry it and answers 502. A fresh loopback connection per request costs well under a
 * millisecond and leaves "connection refused" (safe to retry) as the only way to meet a dead
 * instance outside the requests it was serving.
 */
export function nginxConfig(dir: string, options: NginxOptions): string {
  const failTimeout = options.failTimeoutSeconds ?? 2;
  const readTimeout = options.readTimeoutSeconds ?? 60;
  const maxBody = options.maxBodyBytes ?? 41 * 1024 * 1024;
  const servers = options.upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=${failTimeout}s;`).join("\n");
  // As root the workers would run as nobody, who cannot write the temp paths in `dir`.
  const user = process.getuid?.() === 0 ? "user root root;\n" : "";
  return `${user}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  log_format upstream '$msec $request_method $uri $status $upstream_addr $upstream_status $request_time';
  access_log ${dir}/access.log upstream;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size ${maxBody};
  upstream vigil {
${servers}
  }
  server {
    listen 127.0.0.1:${options.port};
    location / {
      proxy_pass http://vigil;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 2s;
      proxy_read_timeout ${readTimeout}s;
      proxy_send_timeout ${readTimeout}s;
      proxy_request_buffering on;
      proxy_buffering off;
      add_header X-Vigil-Upstream $upstream_addr always;
    }
  }
}
`;
}

export interface Nginx {
  url: string;
  port: number;
  dir: string;
  /** One line per request: `<epoch s> <method> <uri> <status> <upstream addr(s)> <upstream status(es)> <time>`. */
  accessLog(): Promise<string[]>;
  /** Errors and warnings, without the notices that a request body went to a temporary file. */
  errorLog(): Promise<string[]>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Starts nginx in the foreground with a generated config; resolves once it accepts connections. */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  const reason = nginxUnavailableReason();
  if (reason) throw new Error(reason);
  const dir = await mkdtemp(join(tmpdir(), "vigil-nginx-"));
  for (const sub of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) await mkdir(join(dir, sub));
  const conf = join(dir, "nginx.conf");
  await writeFile(conf, nginxConfig(dir, options));
  // -e: the error log before the config is read (else /var/log/nginx/error.log); -p: the prefix.
  const child = spawn(NGINX_BINARY, ["-p", dir, "-e", join(dir, "error.log"), "-c", conf], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (output += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (output += c));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const killOnExit = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.on("exit", killOnExit);
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (!exited) {
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          // already gone
        }
        await Promise.race([exit, sleep(5_000)]);
        killOnExit();
      }
      process.off("exit", killOnExit);
      await rm(dir, { recursive: true, force: true });
    })());
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(options.port))) {
    const log = await readFile(join(dir, "error.log"), "utf8").catch(() => "");
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start on port ${options.port}: ${output}${log}`);
    }
    await sleep(100);
  }
  return {
    url: `http://127.0.0.1:${options.port}`,
    port: options.port,
    dir,
    accessLog: async () => (await readFile(join(dir, "access.log"), "utf8").catch(() => "")).split("\n").filter(Boolean),
    errorLog: async () => (await readFile(join(dir, "error.log"), "utf8").catch(() => "")).split("\n").filter((l) => l && !l.includes("is buffered to a temporary file")),
    stop,
  };
}
