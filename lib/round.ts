/** `value` rounded to `digits` decimals: how scores and coordinates leave the API. */
export function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
