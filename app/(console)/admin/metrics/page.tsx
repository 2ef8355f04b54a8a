import { asc } from "drizzle-orm";
import { MetricsDashboardView } from "@/components/admin/metrics-dashboard";
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
        <form method="get" className="actions" aria-label="Choose a project">
          <label>
            Project
            <select name="project" defaultValue={selected?.id ?? ""}>
              <option value="">All projects</option>
              {projectRows.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.slug})
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Show</button>
        </form>
      </div>
      <MetricsDashboardView dashboard={dashboard} />
    </main>
  );
}
