import { QueueScreen } from "@/components/review/queue-screen";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { getQueueView, queueFiltersFrom } from "@/lib/review/queue-view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Queue · Vigil" };

export default async function QueuePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requirePageUser("/queue");
  const params = await searchParams;
  const filters = queueFiltersFrom(params);
  const initial = await getQueueView(await getDb(), filters);
  return <QueueScreen initial={initial} empty={params.empty === "1"} />;
}
