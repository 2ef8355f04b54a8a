/**
 * Reviewer latency: from pressing "Next case" to the case fully drawn (every image decoded with
 * real pixels, scores on their bands, the keyboard shortcuts listening), in Debian's Chromium against the production build on
 * the embedded database, with the first-start demo data.
 *
 *   npm run bench:next-case [-- --runs 3 --steps 20]
 *
 * Two paths, each measured `steps` times per run:
 *  - queue: on /queue, press N: a claim, then the case page and its images;
 *  - skip: on a case, press N: the case is released, the next one claimed and drawn.
 * Prints per-run medians and the median of the run medians. Uses the build in .next (run
 * `npm run build` first if the sources changed).
 */
import { parseArgs } from "node:util";
import { chromium, type Page } from "@playwright/test";
import { addConsoleUser, createDataDir, removeDataDir, startServer } from "../e2e/support/server";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, steps: { type: "string", default: "20" } } });
const runs = Number(values.runs);
const steps = Number(values.steps);

const reviewer = { email: "bench@vigil.test", password: "bench-reviewer-passphrase", role: "reviewer" as const, name: "Bench" };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

/** Resolves when the page shows a case whose images all have pixels, other than `previous`. */
async function caseDrawn(page: Page, previous: string | null): Promise<void> {
  await page.waitForFunction(
    (prev) => {
      if (!/\/cases\/case_/.test(location.pathname) || location.pathname === prev) return false;
      const images = [...document.querySelectorAll<HTMLImageElement>('img[data-testid="case-image"]')];
      const panel = document.querySelector<HTMLElement>('[data-testid="decision-panel"]');
      const interactive = panel?.dataset.keysReady === "true" && location.pathname.endsWith(`/${panel.dataset.caseId}`);
      return interactive && images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0) && document.querySelector('[data-testid="score-band"]') !== null;
    },
    previous,
    { polling: "raf", timeout: 15_000 },
  );
}

async function main() {
  const dataDir = await createDataDir("bench");
  await addConsoleUser(dataDir, reviewer);
  const server = await startServer({ dataDir, waitForDemoData: true, logFile: "test-results/bench-next-case-server.log" });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, baseURL: server.url });
    await page.goto("/login");
    await page.locator('input[name="email"]').fill(reviewer.email);
    await page.locator('input[name="password"]').fill(reviewer.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.pathname === "/queue");
    await page.locator('[data-testid="queue-screen"][data-keys-ready="true"]').waitFor();
    const waiting = await page.getByTestId("queue-row").count();
    console.log(`server ${server.url}, ${waiting} cases waiting; ${runs} runs x ${steps} steps per path\n`);
    if (waiting < 2) throw new Error("the benchmark needs at least two open cases (the demo data has five)");

    // Warm-up: compile paths, fill caches, as a reviewer's first minutes would.
    await page.keyboard.press("n");
    await caseDrawn(page, null);

    const results: Record<"queue" | "skip", number[]> = { queue: [], skip: [] };
    console.log("run   path    median ms   p95 ms   min ms");
    for (let run = 1; run <= runs; run++) {
      for (const path of ["queue", "skip"] as const) {
        const times: number[] = [];
        for (let i = 0; i < steps; i++) {
          let previous: string | null = null;
          if (path === "queue") {
            // Give the held case back, so N on the queue makes a fresh claim.
            await page.getByRole("button", { name: "Release to queue" }).click();
            await page.waitForURL((u) => u.pathname === "/queue");
            await page.locator('[data-testid="queue-screen"][data-keys-ready="true"]').waitFor();
          } else {
            previous = new URL(page.url()).pathname;
          }
          const started = performance.now();
          await page.keyboard.press("n");
          await caseDrawn(page, previous);
          times.push(performance.now() - started);
        }
        results[path].push(median(times));
        console.log(`${String(run).padEnd(6)}${path.padEnd(8)}${median(times).toFixed(0).padStart(9)}${p95(times).toFixed(0).padStart(9)}${Math.min(...times).toFixed(0).padStart(9)}`);
      }
    }
    console.log(`\nmedian of run medians: queue -> case drawn ${median(results.queue).toFixed(0)} ms, skip -> next case drawn ${median(results.skip).toFixed(0)} ms`);
  } finally {
    await browser.close();
    await server.stop();
    await removeDataDir(dataDir);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
