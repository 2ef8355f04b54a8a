import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as metricsGet } from "@/app/api/metrics/route";
import type { DatabaseHandle } from "@/db/client";
import { installDatabase, openMemoryDatabase, openPostgresDatabase } from "@/db/client";
import { apiKeys, reviewCases, users, verifications } from "@/db/schema";
import { postgresUnavailableReason, startTestPostgres } from "@/db/testing/postgres";
import { createApiKey, createProject } from "@/lib/auth/api-keys";
import { resetEnv } from "@/lib/env";
import { newId } from "@/lib/ids";
import { collectMetricFamilies } from "./collect";
import { metricsRoute, metricsTokenMatches } from "./endpoint";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus";
import { bandRates, getMetricsDashboard, overturnMetrics, queueMetrics, reviewerThroughput, verificationsPerDay, windowDays } from "./queries";

/** The end of every window in these tests: days run 2025-05-17 .. 2025-06-15 (30) and 2025-06-02 .. 2025-06-15 (14). */
const NOW = new Date("2025-06-15T12:00:00.000Z");
const at = (iso: string) => new Date(`${iso}Z`);

type Band = "approve" | "review" | "reject" | null;

const pgReason = postgresUnavailableReason();
if (pgReason) console.warn(`PostgreSQL metrics tests skipped: ${pgReason}`);

let handle: DatabaseHandle;
let a: string;
let b: string;

async function addVerification(projectId: string, band: Band, createdAt: string): Promise<string> {
  const id = newId("ver");
  const status = band === "approve" ? "approved" : band === "review" ? "in_review" : band === "reject" ? "rejected" : "not_finished";
  await handle.db.insert(verifications).values({ id, projectId, type: "face_match", source: "native", status, band, checks: [], policyVersion: 1, timings: {}, requestId: id, requestHash: "h", createdAt: at(createdAt) });
  return id;
}

interface CaseSeed {
  project?: string;
  band: Band;
  created: string;
  status?: "open" | "claimed" | "decided";
  stage?: "decision" | "confirmation";
  decision?: "approve" | "reject" | "resubmit";
  decidedBy?: string;
  confirmedBy?: string;
  claimed?: string;
  decided?: string;
}

/** A case on a verification made long before every window, so it never counts as a new verification. */
async function addCase(seed: CaseSeed): Promise<void> {
  const projectId = seed.project ?? a;
  const verificationId = await addVerification(projectId, seed.band, "2025-03-01T00:00:00");
  await handle.db.insert(reviewCases).values({
    id: newId("case"),
    verificationId,
    projectId,
    status: seed.status ?? "decided",
    stage: seed.stage ?? "decision",
    reasons: ["face_match"],
    decision: seed.decision ?? null,
    decidedBy: seed.decidedBy ?? null,
    confirmedBy: seed.confirmedBy ?? null,
    claimedBy: seed.claimed ? (seed.confirmedBy ?? seed.decidedBy ?? "user:usr_r1") : null,
    claimedAt: seed.claimed ? at(seed.claimed) : null,
    createdAt: at(seed.created),
    decidedAt: seed.decided ? at(seed.decided) : null,
  });
}

const R1 = "user:usr_r1";
const R2 = "user:usr_r2";

/** Opens `open`'s database and seeds it; the figures in the tests below are counted from this. */
async function seed(opened: DatabaseHandle): Promise<void> {
  handle = opened;
  a = (await createProject(handle.db, { slug: "alpha", name: "Alpha" })).id;
  b = (await createProject(handle.db, { slug: "beta", name: "Beta" })).id;
  await handle.db.insert(users).values([
    { id: "usr_r1", email: "r1@test", name: "R1", role: "reviewer", passwordHash: "x" },
    { id: "usr_r2", email: "r2@test", name: "R2", role: "reviewer", passwordHash: "x" },
  ]);

  // Verifications of project alpha in the 30-day window: 3 approve, 3 review, 1 reject, 1 none.
  await addVerification(a, "approve", "2025-06-15T10:00:00");
  await addVerification(a, "approve", "2025-06-15T10:30:00");
  await addVerification(a, "review", "2025-06-15T11:00:00");
  await addVerification(a, "reject", "2025-06-14T23:30:00");
  await addVerification(a, null, "2025-06-14T23:45:00");
  await addVerification(a, "review", "2025-06-01T00:00:00");
  await addVerification(a, "review", "2025-06-01T08:00:00");
  await addVerification(a, "approve", "2025-05-17T00:00:00"); // the window's first instant: in
  await addVerification(a, "approve", "2025-05-16T23:59:59"); // a second before it: out
  await addVerification(a, "approve", "2025-06-15T12:00:01"); // after now: out
  await addVerification(b, "reject", "2025-06-15T09:00:00");

  // Decided cases. Seconds claimed -> decided and created -> decided in the comments.
  await addCase({ band: "review", decision: "approve", decidedBy: R1, created: "2025-06-15T09:00:00", claimed: "2025-06-15T10:00:00", decided: "2025-06-15T10:02:00" }); // 120, 3720
  await addCase({ band: "review", decision: "reject", decidedBy: R1, created: "2025-06-13T08:00:00", claimed: "2025-06-14T08:00:00", decided: "2025-06-14T08:05:00" }); // 300, 86700
  await addCase({ band: "review", decision: "resubmit", decidedBy: R2, created: "2025-06-10T11:00:00", claimed: "2025-06-10T12:00:00", decided: "2025-06-10T12:01:00" }); // 60, 3660
  // Four eyes: r1 proposed approving an automatic reject, r2 confirmed; r2 made it final.
  await addCase({ band: "reject", decision: "approve", decidedBy: R1, confirmedBy: R2, created: "2025-06-11T09:00:00", claimed: "2025-06-12T09:00:00", decided: "2025-06-12T09:10:00" }); // 600, 87000
  await addCase({ band: "approve", decision: "reject", decidedBy: R1, created: "2025-06-05T08:00:00", claimed: "2025-06-05T10:00:00", decided: "2025-06-05T10:04:00" }); // 240, 7440
  // r2 turned down r1's proposal: a reject agreeing with the checks, outside the 14 days.
  await addCase({ band: "reject", decision: "reject", decidedBy: R2, confirmedBy: R2, created: "2025-05-31T10:00:00", claimed: "2025-06-01T10:00:00", decided: "2025-06-01T10:03:00" });
  await addCase({ band: "approve", decision: "resubmit", decidedBy: R1, created: "2025-05-19T10:00:00", claimed: "2025-05-20T10:00:00", decided: "2025-05-20T10:01:00" });
  await addCase({ band: "review", decision: "approve", decidedBy: R1, created: "2025-05-09T10:00:00", claimed: "2025-05-10T10:00:00", decided: "2025-05-10T10:01:00" }); // before every window
  await addCase({ project: b, band: "reject", decision: "approve", decidedBy: R2, confirmedBy: R1, created: "2025-06-14T10:00:00", claimed: "2025-06-15T10:00:00", decided: "2025-06-15T10:01:00" });

  // Waiting now in alpha: 3, the oldest since 2025-06-10 12:00 (5 days before NOW).
  await addCase({ band: "review", status: "open", created: "2025-06-14T12:00:00" });
  await addCase({ band: "review", status: "claimed", created: "2025-06-10T12:00:00", claimed: "2025-06-15T11:00:00" });
  await addCase({ band: "reject", status: "open", stage: "confirmation", decision: "approve", decidedBy: R1, created: "2025-06-15T11:00:00" });

  await createApiKey(handle.db, { projectId: a, name: "one" });
  await createApiKey(handle.db, { projectId: a, name: "two" });
  const { key } = await createApiKey(handle.db, { projectId: b, name: "gone" });
  await handle.db.update(apiKeys).set({ revokedAt: NOW }).where(eq(apiKeys.id, key.id));
}

/** The same suite on embedded PGlite and on a real PostgreSQL 15 server. */
const backends = [
  { name: "PGlite (in memory)", skip: false, open: async () => ({ db: await openMemoryDatabase(), stop: async () => {} }) },
  {
    name: "PostgreSQL 15",
    skip: pgReason !== null,
    open: async () => {
      const server = await startTestPostgres();
      return { db: await openPostgresDatabase(server.url), stop: server.stop };
    },
  },
];

describe.each(backends)("metric queries on $name", ({ open, skip }) => {
  let stop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    if (skip) return;
    const opened = await open();
    stop = opened.stop;
    await seed(opened.db);
  }, 120_000);
  afterAll(async () => {
    if (skip) return;
    await handle.close();
    await stop();
  });

  it.skipIf(skip)("counts verifications per UTC day by automatic band over 30 days", async () => {
    const days = await verificationsPerDay(handle.db, { projectId: a, now: NOW });
    expect(days).toHaveLength(30);
    expect(days[0].day).toBe("2025-05-17");
    expect(days[29].day).toBe("2025-06-15");
    const nonEmpty = days.filter((d) => d.approve + d.review + d.reject + d.none > 0);
    expect(nonEmpty).toEqual([
      { day: "2025-05-17", approve: 1, review: 0, reject: 0, none: 0 },
      { day: "2025-06-01", approve: 0, review: 2, reject: 0, none: 0 },
      { day: "2025-06-14", approve: 0, review: 0, reject: 1, none: 1 },
      { day: "2025-06-15", approve: 2, review: 1, reject: 0, none: 0 },
    ]);
    const rates = bandRates(days);
    expect(rates.total).toBe(8);
    expect(rates.counts).toEqual({ approve: 3, review: 3, reject: 1, none: 1 });
    expect(rates.rates.approve).toBeCloseTo(3 / 8, 10);
    expect(rates.rates.reject).toBeCloseTo(1 / 8, 10);

    const all = bandRates(await verificationsPerDay(handle.db, { now: NOW }));
    expect(all.counts).toEqual({ approve: 3, review: 3, reject: 2, none: 1 });
    expect(bandRates([]).rates).toEqual({ approve: 0, review: 0, reject: 0, none: 0 });
  });

  it.skipIf(skip)("gives the queue now, its oldest case and the waiting count at the end of each day", async () => {
    const queue = await queueMetrics(handle.db, { projectId: a, now: NOW });
    expect(queue.waiting).toBe(3);
    expect(queue.awaitingConfirmation).toBe(1);
    expect(queue.oldestSince?.toISOString()).toBe("2025-06-10T12:00:00.000Z");
    expect(queue.oldestWaitingSeconds).toBe(5 * 86_400);
    const at = Object.fromEntries(queue.history.map((h) => [h.day, h.waiting]));
    expect(queue.history).toHaveLength(30);
    expect(at["2025-06-15"]).toBe(3); // now: the three undecided
    expect(at["2025-06-14"]).toBe(2); // midnight: opened 06-14 12:00, opened 06-10 12:00
    expect(at["2025-06-11"]).toBe(2); // opened 06-10 12:00, the four-eyes case opened 06-11 09:00
    expect(at["2025-06-10"]).toBe(1); // the resubmission was decided at 12:01
    expect(at["2025-05-31"]).toBe(1); // the turned-down proposal, opened 05-31 10:00
    expect(at["2025-05-17"]).toBe(0);
  });

  it.skipIf(skip)("credits each final decision to the reviewer who made it final, with median times", async () => {
    const t = await reviewerThroughput(handle.db, { projectId: a, now: NOW });
    expect(t.days).toEqual(windowDays(NOW, 14));
    expect(t.days[0]).toBe("2025-06-02");
    expect(t.decisions).toBe(5);
    expect(t.medianDecisionSeconds).toBe(240); // 60 120 [240] 300 600
    expect(t.medianQueueSeconds).toBe(7440); // 3660 3720 [7440] 86700 87000
    expect(t.reviewers.map((r) => ({ name: r.name, decisions: r.decisions, median: r.medianDecisionSeconds }))).toEqual([
      { name: "r1@test", decisions: 3, median: 240 }, // 120 240 300
      { name: "r2@test", decisions: 2, median: 330 }, // 60 600
    ]);
    const r1 = t.reviewers[0];
    expect(r1.perDay[t.days.indexOf("2025-06-05")]).toBe(1);
    expect(r1.perDay[t.days.indexOf("2025-06-14")]).toBe(1);
    expect(r1.perDay[t.days.indexOf("2025-06-15")]).toBe(1);
    expect(t.reviewers[1].perDay[t.days.indexOf("2025-06-12")]).toBe(1);
  });

  it.skipIf(skip)("counts overturns: final decisions contradicting an automatic approve or reject", async () => {
    const o = await overturnMetrics(handle.db, { projectId: a, now: NOW });
    expect(o.byBand).toEqual({
      approve: { approve: 0, reject: 1, resubmit: 1 },
      review: { approve: 1, reject: 1, resubmit: 1 },
      reject: { approve: 1, reject: 1, resubmit: 0 },
      none: { approve: 0, reject: 0, resubmit: 0 },
    });
    expect(o.eligible).toBe(3);
    expect(o.overturned).toBe(2);
    expect(o.rate).toBeCloseTo(2 / 3, 10);
    const all = await overturnMetrics(handle.db, { now: NOW });
    expect(all.overturned).toBe(3); // beta's approved automatic reject
  });

  it.skipIf(skip)("puts it together for the page", async () => {
    const d = await getMetricsDashboard(handle.db, { projectId: a, now: NOW });
    expect(d.rates.total).toBe(8);
    expect(d.queue.waiting).toBe(3);
    expect(d.throughput.decisions).toBe(5);
    expect(d.overturns.overturned).toBe(2);
  });

  it.skipIf(skip)("exposes the database figures that were counted by hand", async () => {
    const text = renderPrometheus(
      await collectMetricFamilies(handle.db, { inferenceWorkersReady: 2, retention: { runs: 4, failedRuns: 1, imagesPurged: 7, lastSuccessAt: 1_750_000_000_500 }, now: NOW }),
    );
    const s = parsePrometheus(text);
    // All time, alpha: the 10 verifications above (5 approve, 3 review, 1 reject, 1 none) and
    // the 11 under its cases (2 approve, 6 review, 3 reject).
    expect(s.get('vigil_verifications_total{project="alpha",band="approve"}')).toBe(5 + 2);
    expect(s.get('vigil_verifications_total{project="alpha",band="review"}')).toBe(3 + 6);
    expect(s.get('vigil_verifications_total{project="alpha",band="reject"}')).toBe(1 + 3);
    expect(s.get('vigil_verifications_total{project="alpha",band="none"}')).toBe(1);
    expect(s.get('vigil_verifications_total{project="beta",band="reject"}')).toBe(2);
    expect(s.get('vigil_verifications{project="alpha",status="in_review"}')).toBe(9);
    expect(s.get('vigil_review_cases_waiting{project="alpha"}')).toBe(3);
    expect(s.get('vigil_review_cases_waiting{project="beta"}')).toBe(0);
    expect(s.get('vigil_review_oldest_waiting_seconds{project="alpha"}')).toBe(432_000);
    expect(s.get('vigil_review_decisions_total{project="alpha",decision="approve"}')).toBe(3);
    expect(s.get('vigil_review_decisions_total{project="alpha",decision="reject"}')).toBe(3);
    expect(s.get('vigil_review_decisions_total{project="alpha",decision="resubmit"}')).toBe(2);
    expect(s.get('vigil_api_keys_active{project="alpha"}')).toBe(2);
    expect(s.get('vigil_api_keys_active{project="beta"}')).toBe(0);
    expect(s.get('vigil_image_retention_days{project="alpha"}')).toBe(30);
    expect(s.get("vigil_inference_workers_ready")).toBe(2);
    expect(s.get("vigil_retention_images_purged_total")).toBe(7);
    expect(s.get("vigil_retention_last_success_timestamp_seconds")).toBe(1_750_000_000);
    expect(s.get("process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
  });
});

/** A tiny check of the exposition format: every line is a HELP, a TYPE or a sample of a declared family. */
function parsePrometheus(text: string): Map<string, number> {
  expect(text.endsWith("\n")).toBe(true);
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.slice(0, -1).split("\n")) {
    let m: RegExpExecArray | null;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$/.exec(line))) continue;
    if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      expect(types.has(m[1]), `TYPE ${m[1]} twice`).toBe(false);
      types.set(m[1], m[2]);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"(?:,(?!\}))?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    expect(types.has(m![1]), `${m![1]} sampled before its TYPE`).toBe(true);
    samples.set(`${m![1]}${m![2] ?? ""}`, Number(m![3]));
  }
  return samples;
}

describe("Prometheus text", () => {
  it("renders HELP, TYPE and escaped labels", () => {
    const text = renderPrometheus([
      { name: "x_total", help: "A \\ help\nline", type: "counter", samples: [{ labels: { project: 'a"b\\c\nd' }, value: 3 }] },
      { name: "y", help: "Nothing yet.", type: "gauge", samples: [] },
    ]);
    expect(text).toBe('# HELP x_total A \\\\ help\\nline\n# TYPE x_total counter\nx_total{project="a\\"b\\\\c\\nd"} 3\n# HELP y Nothing yet.\n# TYPE y gauge\n');
    parsePrometheus(text);
    expect(() => renderPrometheus([{ name: "bad-name", help: "h", type: "gauge", samples: [] }])).toThrow();
  });
});

describe("GET /api/metrics", () => {
  const TOKEN = "metrics-token-0123456789abcdef";
  const request = (authorization?: string) => new Request("http://vigil.test/api/metrics", { headers: authorization ? { authorization } : {} });

  beforeAll(async () => {
    await seed(await openMemoryDatabase());
    installDatabase(handle);
  }, 60_000);
  afterAll(async () => {
    delete process.env.VIGIL_METRICS_TOKEN;
    resetEnv();
    await handle.close();
  });

  it("is 404 with how to turn it on while VIGIL_METRICS_TOKEN is unset", async () => {
    delete process.env.VIGIL_METRICS_TOKEN;
    resetEnv();
    const response = await metricsGet(request(`Bearer ${TOKEN}`), undefined);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("NOT_FOUND");
    expect(body.error.message).toContain("VIGIL_METRICS_TOKEN");
  });

  it("refuses a missing or wrong token with 401 in the native error shape", async () => {
    process.env.VIGIL_METRICS_TOKEN = TOKEN;
    resetEnv();
    for (const header of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, "Basic abc"]) {
      const response = await metricsGet(request(header), undefined);
      expect(response.status, String(header)).toBe(401);
      const body = (await response.json()) as { error: { code: string; message: string }; requestId: string };
      expect(body.error.code).toBe("UNAUTHORIZED");
      expect(body.requestId).toBeTruthy();
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
  });

  it("answers Prometheus text with the right token", async () => {
    process.env.VIGIL_METRICS_TOKEN = TOKEN;
    resetEnv();
    const response = await metricsRoute({ inferenceWorkersReady: async () => 3 })(request(`Bearer ${TOKEN}`), undefined);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(PROMETHEUS_CONTENT_TYPE);
    const samples = parsePrometheus(await response.text());
    expect(samples.get("vigil_inference_workers_ready")).toBe(3);
    expect(samples.get('vigil_review_cases_waiting{project="alpha"}')).toBe(3);
  });

  it("compares tokens whatever their length", () => {
    expect(metricsTokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(metricsTokenMatches("short", TOKEN)).toBe(false);
    expect(metricsTokenMatches(null, TOKEN)).toBe(false);
    expect(metricsTokenMatches(`${TOKEN}${TOKEN}`, TOKEN)).toBe(false);
  });
});
