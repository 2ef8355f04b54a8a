/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max` and at least 1. */
export function niceMax(max: number): number {
  if (!(max > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** `YYYY-MM-DD` as a short axis label: "06-15". */
export const shortDay = (day: string) => day.slice(5);
