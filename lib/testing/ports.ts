import { createServer } from "node:net";

/**
 * A port on 127.0.0.1 that was free a moment ago: the OS picks one for a probe that closes
 * again. A server started on it can lose it to another process in between, so whoever starts
 * one retries or fails loudly. Nothing listens on it either: a connection to it is refused.
 * Imported by Playwright's support files too, so it uses no path aliases.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error("the OS gave no free port"))));
    });
  });
}
