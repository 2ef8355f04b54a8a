import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A throwaway S3-protocol server on loopback: talk to `endpoint`, then always call `stop()`. */
export interface TestS3Server {
  endpoint: string;
  bucket: string;
  /** s3rver checks request signatures against its one built-in account. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

// Runs in the child: an s3rver on a free port of 127.0.0.1, storing under a temporary folder,
// with the bucket created; prints the port once it listens.
const childScript = `
const S3rver = require(process.argv[1]);
const server = new S3rver({ address: "127.0.0.1", port: 0, directory: process.argv[2], silent: true, configureBuckets: [{ name: process.argv[3] }] });
server.run().then(({ port }) => process.stdout.write(JSON.stringify({ port }) + "\\n"), (error) => { console.error(error); process.exit(1); });
process.on("SIGTERM", () => server.close().finally(() => process.exit(0)));
`;

/**
 * Starts s3rver in a child process, so the store under test speaks real HTTP to a real server.
 *
 * A child rather than in this process: s3rver makes ListObjectsV2 continuation tokens with DES,
 * which OpenSSL 3 (Node 17 and later) only offers behind --openssl-legacy-provider; without it
 * every truncated listing answers 500. The flag stays confined to the test server.
 */
export async function startTestS3Server(bucket = "vigil-test"): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), "vigil-s3-"));
  const entry = createRequire(import.meta.url).resolve("s3rver");
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", childScript, entry, directory, bucket], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    await rm(directory, { recursive: true, force: true });
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = "";
      const timer = setTimeout(() => reject(new Error(`s3rver did not start in ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        const line = stdout.split("\n")[0];
        if (stdout.includes("\n")) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { port: number }).port);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited with code ${code}: ${stderr}`));
      });
    });
    return { endpoint: `http://127.0.0.1:${port}`, bucket, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
