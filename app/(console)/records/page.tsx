import Link from "next/link";
import { statusLabels } from "@/components/console/format";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { listRecords } from "@/lib/review/case-detail";

export const dynamic = "force-dynamic";
export const metadata = { title: "Records · Vigil" };

/** The latest verifications, filterable by status. */
export default async function RecordsPage({ searchParams }: { searchParams: Promise<{ status?: string }> }) {
  await requirePageUser("/records");
  const { status } = await searchParams;
  const known = status && status in statusLabels ? status : undefined;
  const rows = await listRecords(await getDb(), { status: known, limit: 200 });
  return (
    <main className="wide">
      <div className="page-head">
        <h1>Records</h1>
        <nav className="tabs" aria-label="Status">
          <Link href="/records" aria-current={!known ? "page" : undefined}>
            All
          </Link>
          {Object.entries(statusLabels).map(([value, label]) => (
            <Link key={value} href={`/records?status=${value}`} aria-current={known === value ? "page" : undefined}>
              {label}
            </Link>
          ))}
        </nav>
      </div>
      {rows.length === 0 ? (
        <p className="muted">No verifications{known ? ` with status ${statusLabels[known].toLowerCase()}` : ""} yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Created (UTC)</th>
              <th>Project</th>
              <th>Type</th>
              <th>Source</th>
              <th>Reference</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="record-row">
                <td>
                  <Link href={`/records/${r.id}`} prefetch={false}>
                    {r.createdAt.toISOString().replace("T", " ").slice(0, 19)}
                  </Link>
                </td>
                <td>{r.project}</td>
                <td>{r.type.replaceAll("_", " ")}</td>
                <td>{r.source}</td>
                <td>{r.externalRef ?? ""}</td>
                <td>
                  <span className={`status ${r.status}`}>{statusLabels[r.status] ?? r.status}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
