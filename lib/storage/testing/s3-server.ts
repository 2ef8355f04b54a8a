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
  /** How the server process ended (`code 1`, `signal SIGKILL`), or null while it runs, and what it wrote to stderr. */
  status(): { exited: string | null; stderr: string };
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

// Runs in the child: an s3rver on a free port of 127.0.0.1, storing under a temporary folder,
// with the bucket created; prints the port once it listens.
//
// s3rver 3.7's DeleteObject removes the object's folder once it is empty, which races with a
// PutObject into the same folder (made, then removed before the file is opened): the write
// stream's ENOENT is an unhandled 'error' event and the whole server exits. Several instances
// staging and publishing images under one prefix hit it within seconds, so the test server
// deletes the object's files only and leaves empty folders, which no listing shows.
const childScript = `
const S3rver = require(process.argv[1]);
const FilesystemStore = require(require("node:path").join(require("node:path").dirname(process.argv[1]), "stores", "filesystem.js"));
const fsp = require("node:fs/promises");
FilesystemStore.prototype.deleteObject = async function (bucket, key) {
  const gone = (error) => { if (error.code !== "ENOENT") throw error; };
  await Promise.all(["object", "object.md5", "metadata.json"].map((resource) => fsp.unlink(this.getResourcePath(bucket, key, resource)).catch(gone)));
};
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
  let exitedHow: string | null = null;
  const exited = new Promise<void>((resolve) => child.once("exit", (code, signal) => ((exitedHow = signal ? `signal ${signal}` : `code ${code}`), resolve())));

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
    const status = () => ({ exited: exitedHow, stderr });
    return { endpoint: `http://127.0.0.1:${port}`, bucket, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }, status, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
