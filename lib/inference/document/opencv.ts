import "server-only";
import { createRequire } from "node:module";
import type { CV } from "@techstark/opencv-js";

export type { CV };

/** Holds the module: a promise resolved with the module itself would adopt its `then`. */
export interface OpenCv {
  cv: CV;
}

let loading: Promise<OpenCv> | undefined;

/**
 * This thread's OpenCV (WebAssembly build of @techstark/opencv-js 4.12, pinned), loaded on
 * first use. Compiling the module takes ~0.35 s and ~85 MB of resident memory per thread,
 * so workers load it while they warm up (worker.ts) and no request pays for it.
 *
 * The package's export is an Emscripten module object that is also a thenable whose
 * `then` never settles in Node; it is never awaited nor resolved with (hence the holder):
 * it is ready once `cv.Mat` exists.
 * It is loaded with `require` at run time, so neither esbuild (scripts/build-worker.mjs,
 * where it is external) nor Next.js copies its 11 MB into a bundle.
 */
export function loadOpenCv(): Promise<OpenCv> {
  if (!loading) {
    loading = new Promise<OpenCv>((resolve, reject) => {
      const started = Date.now();
      let cv: CV;
      // Emscripten's Node glue installs process-wide handlers that rethrow any uncaught
      // exception and abort on any unhandled rejection, printing the whole 11 MB one-line
      // module as the source context: take back whatever it added.
      const events = ["uncaughtException", "unhandledRejection"] as const;
      type Listener = (...args: unknown[]) => void;
      const listeners = (event: (typeof events)[number]) => process.listeners(event as "uncaughtException") as unknown as Listener[];
      const before = events.map((event) => new Set(listeners(event)));
      try {
        const require = createRequire(import.meta.url);
        cv = require("@techstark/opencv-js") as CV;
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      } finally {
        events.forEach((event, i) => {
          for (const listener of listeners(event)) if (!before[i].has(listener)) process.removeListener(event, listener);
        });
      }
      const check = () => {
        if (typeof cv.Mat === "function") resolve({ cv });
        else if (Date.now() - started > 30_000) reject(new Error("OpenCV did not initialise within 30 s"));
        else setTimeout(check, 5);
      };
      check();
    });
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}
