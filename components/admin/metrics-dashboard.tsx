import { ChartFrame, type ChartSeries } from "@/components/charts/chart-frame";
import { Gauge } from "@/components/charts/gauge";
import { LineChart } from "@/components/charts/line-chart";
import { SparkBars } from "@/components/charts/spark-bars";
import { StackedBarChart } from "@/components/charts/stacked-bar-chart";
import { StatCards } from "@/components/charts/stat-cards";
import { formatAge } from "@/components/console/format";
import type { BandKey, MetricsDashboard } from "@/lib/metrics/queries";
import { BANDS, DECISIONS } from "@/lib/metrics/queries";

const bandLabels: Record<BandKey, string> = { approve: "Approve", review: "Review", reject: "Reject", none: "Not finished" };
const bandSeries: ChartSeries[] = [
  { key: "approve", label: bandLabels.approve, color: "var(--approve)" },
  { key: "review", label: bandLabels.review, color: "var(--review)" },
  { key: "reject", label: bandLabels.reject, color: "var(--reject)" },
  { key: "none", label: bandLabels.none, color: "var(--muted)" },
];
const decisionLabels = { approve: "Approved", reject: "Rejected", resubmit: "Resubmission" } as const;

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const duration = (seconds: number | null) => (seconds === null ? "–" : formatAge(seconds * 1000));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The metrics page: verifications per day by automatic band, the automatic band rates, the
 * review queue now and over time, reviewer throughput and decision times, and overturns. Every
 * chart has an accessible summary and its figures in a data table.
 */
export function MetricsDashboardView({ dashboard }: { dashboard: MetricsDashboard }) {
  const { verifications, rates, queue, throughput, overturns } = dashboard;
  const busiest = verifications.reduce((best, d) => {
    const total = BANDS.reduce((s, b) => s + d[b], 0);
    return total > best.total ? { day: d.day, total } : best;
  }, { day: "", total: 0 });
  const first = dashboard.days[0];
  const last = dashboard.days[dashboard.days.length - 1];
  const throughputDays = throughput.days;
  const perDayTotals = throughputDays.map((day, i) => ({ label: day, values: { decisions: throughput.reviewers.reduce((s, r) => s + r.perDay[i], 0) } }));
  const reviewBand = overturns.byBand.review;
  const reviewDecided = reviewBand.approve + reviewBand.reject + reviewBand.resubmit;

  return (
    <>
      <p className="muted small">
        UTC days {first} to {last} (throughput: the last 14), as of {dashboard.now.toISOString().slice(0, 16).replace("T", " ")} UTC.
      </p>

      <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(min(100%, 560px), 1fr))", gap: "0 16px", alignItems: "start" }}>
        <section className="panel">
          <ChartFrame
            title="Verifications per day"
            testId="chart-verifications"
            description="Stacked by the automatic band the checks gave each verification, before any reviewer."
            table={{
              caption: "Verifications per UTC day by automatic band",
              columns: ["Day", ...bandSeries.map((s) => s.label), "Total"],
              rows: verifications.map((d) => [d.day, d.approve, d.review, d.reject, d.none, d.approve + d.review + d.reject + d.none]),
            }}
          >
            <StackedBarChart
              data={verifications.map((d) => ({ label: d.day, values: { approve: d.approve, review: d.review, reject: d.reject, none: d.none } }))}
              series={bandSeries}
              summary={
                `Verifications per day, ${first} to ${last}: ${rates.total} in all, ${rates.counts.approve} approve, ${rates.counts.review} review, ` +
                `${rates.counts.reject} reject, ${rates.counts.none} not finished` +
                (busiest.total > 0 ? `; the busiest day was ${busiest.day} with ${busiest.total}.` : ".")
              }
            />
          </ChartFrame>
        </section>

        <section className="panel">
          <ChartFrame
            title="Automatic decisions"
            testId="chart-rates"
            description={`Shares of the ${plural(rates.total, "verification")} of the last 30 days by automatic band.`}
            table={{
              caption: "Verifications of the last 30 days by automatic band",
              columns: ["Band", "Verifications", "Share"],
              rows: BANDS.map((b) => [bandLabels[b], rates.counts[b], percent(rates.rates[b])]),
            }}
          >
            <div style={{ display: "flex", flexWrap: "wrap", gap: 24 }}>
              {bandSeries.map((s) => (
                <Gauge
                  key={s.key}
                  label={`${s.label} rate`}
                  value={rates.total ? rates.rates[s.key as BandKey] : null}
                  color={s.color}
                  detail={`${rates.counts[s.key as BandKey]} of ${rates.total}`}
                />
              ))}
            </div>
          </ChartFrame>
        </section>

        <section className="panel">
          <ChartFrame
            title="Review queue"
            testId="chart-queue"
            description="Waiting: cases not decided yet (open, held by a reviewer, or awaiting a second reviewer). The line is the number waiting at the end of each day (now, for today), rebuilt from when cases were opened and decided; a reopened case counts from its reopening."
            table={{ caption: "Cases waiting at the end of each UTC day", columns: ["Day", "Waiting"], rows: queue.history.map((h) => [h.day, h.waiting]) }}
          >
            <StatCards
              testId="queue-cards"
              items={[
                { label: "Waiting now", value: queue.waiting },
                { label: "Oldest waiting", value: queue.oldestWaitingSeconds === null ? "–" : duration(queue.oldestWaitingSeconds), hint: queue.oldestSince ? `since ${queue.oldestSince.toISOString()}` : undefined },
                { label: "Held by a reviewer", value: queue.claimed },
                { label: "Awaiting a second reviewer", value: queue.awaitingConfirmation },
                { label: "Past the project's SLA", value: queue.overdue },
              ]}
            />
            <div style={{ marginTop: 16 }}>
              <LineChart
                points={queue.history.map((h) => ({ label: h.day, value: h.waiting }))}
                summary={`Cases waiting at the end of each day, ${first} to ${last}: ${queue.waiting} now, at most ${Math.max(0, ...queue.history.map((h) => h.waiting))}.`}
              />
            </div>
          </ChartFrame>
        </section>

        <section className="panel">
          <ChartFrame
            title="Reviewers, last 14 days"
            testId="chart-throughput"
            description="Final decisions per reviewer and day, credited to the reviewer who made the decision final (under four eyes, the second reviewer). Decision time: from the reviewer's last claim of the case to its final decision. Time in queue: from the case's opening (or reopening) to its final decision. Both are medians."
            table={{
              caption: "Final decisions per reviewer and UTC day",
              columns: ["Reviewer", ...throughputDays.map((d) => d.slice(5)), "Total", "Median decision time"],
              rows: throughput.reviewers.map((r) => [r.name, ...r.perDay, r.decisions, duration(r.medianDecisionSeconds)]),
            }}
          >
            <StatCards
              items={[
                { label: "Final decisions", value: throughput.decisions },
                { label: "Median decision time", value: duration(throughput.medianDecisionSeconds) },
                { label: "Median time in queue", value: duration(throughput.medianQueueSeconds) },
                { label: "Reviewers deciding", value: throughput.reviewers.length },
              ]}
            />
            <div style={{ marginTop: 16 }}>
              <StackedBarChart
                data={perDayTotals}
                series={[{ key: "decisions", label: "Final decisions", color: "var(--accent)" }]}
                summary={`Final decisions per day, ${throughputDays[0]} to ${throughputDays[throughputDays.length - 1]}: ${throughput.decisions} in all by ${plural(throughput.reviewers.length, "reviewer")}.`}
                height={150}
                labelEvery={2}
              />
            </div>
            {throughput.reviewers.length > 0 ? (
              <table style={{ marginTop: 12 }}>
                <thead>
                  <tr>
                    <th scope="col">Reviewer</th>
                    <th scope="col">Per day</th>
                    <th scope="col">Decisions</th>
                    <th scope="col">Median decision time</th>
                  </tr>
                </thead>
                <tbody>
                  {throughput.reviewers.map((r) => (
                    <tr key={r.actor}>
                      <th scope="row">{r.name}</th>
                      <td>
                        <SparkBars
                          values={r.perDay}
                          labels={throughputDays}
                          max={Math.max(1, ...throughput.reviewers.flatMap((x) => x.perDay))}
                          summary={`${r.name}: ${plural(r.decisions, "decision")} in 14 days, at most ${Math.max(0, ...r.perDay)} a day`}
                        />
                      </td>
                      <td>{r.decisions}</td>
                      <td>{duration(r.medianDecisionSeconds)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="muted small">No final decisions in the last 14 days.</p>
            )}
          </ChartFrame>
        </section>
      </div>

      <section className="panel">
        <ChartFrame
          title="Overturns"
          testId="chart-overturns"
          description={
            "An overturn is a reviewer's final decision contradicting the automatic band: approving a verification the checks rejected, or rejecting one they approved. " +
            "The rate is over the final approve and reject decisions of the last 30 days on cases whose automatic band was approve or reject (they reach reviewers when a decided verification is reopened). " +
            "An approval proposed under four eyes counts once a second reviewer confirms it; a resubmission request overturns nothing. Review-band cases have no automatic verdict: their split is shown instead."
          }
          table={{
            caption: "Final decisions of the last 30 days by automatic band",
            columns: ["Automatic band", ...DECISIONS.map((d) => decisionLabels[d])],
            rows: BANDS.map((b) => [bandLabels[b], ...DECISIONS.map((d) => overturns.byBand[b][d])]),
          }}
        >
          <div style={{ display: "flex", flexWrap: "wrap", gap: 24, alignItems: "center" }}>
            <Gauge label="Overturn rate" value={overturns.rate} color="var(--reject)" detail={`${overturns.overturned} of ${plural(overturns.eligible, "decision")}`} />
            <div style={{ flex: 1, minWidth: 280 }}>
              <StatCards
                items={[
                  { label: "Approved an automatic reject", value: overturns.byBand.reject.approve },
                  { label: "Rejected an automatic approve", value: overturns.byBand.approve.reject },
                  { label: "Review band: approved", value: reviewDecided ? percent(reviewBand.approve / reviewDecided) : "–", hint: `${reviewBand.approve} of ${reviewDecided}` },
                  { label: "Review band: rejected", value: reviewDecided ? percent(reviewBand.reject / reviewDecided) : "–", hint: `${reviewBand.reject} of ${reviewDecided}` },
                  { label: "Review band: resubmission", value: reviewDecided ? percent(reviewBand.resubmit / reviewDecided) : "–", hint: `${reviewBand.resubmit} of ${reviewDecided}` },
                ]}
              />
            </div>
          </div>
        </ChartFrame>
      </section>
    </>
  );
}
