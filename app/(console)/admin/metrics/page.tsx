import { asc } from "drizzle-orm";
import { MetricsDashboardView } from "@/components/admin/metrics-dashboard";
import { ProjectPicker } from "@/components/admin/project-picker";
import { getDb } from "@/db/client";
import { projects } from "@/db/schema";
import { requirePageUser } from "@/lib/auth/guard";
import { getMetricsDashboard } from "@/lib/metrics/queries";

export const dynamic = "force-dynamic";
export const metadata = { title: "Metrics · Admin · Vigil" };

/** Operational metrics of one project or all (admins only); the same figures scrape from /api/metrics. */
export default async function MetricsPage({ searchParams }: { searchParams: Promise<{ project?: string | string[] }> }) {
  await requirePageUser("/admin/metrics", "admin");
  const { project } = await searchParams;
  const db = await getDb();
  const projectRows = await db.select({ id: projects.id, slug: projects.slug, name: projects.name }).from(projects).orderBy(asc(projects.slug));
  const selected = projectRows.find((p) => p.id === project) ?? null;
  const dashboard = await getMetricsDashboard(db, { projectId: selected?.id ?? null });
  return (
    <main className="wide">
      <div className="page-head">
        <h1>Metrics</h1>
        <ProjectPicker projects={projectRows} selected={selected?.id ?? ""} valueOf="id" allLabel="All projects" />
      </div>
      <MetricsDashboardView dashboard={dashboard} />
    </main>
  );
}
