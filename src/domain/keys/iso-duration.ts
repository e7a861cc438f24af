/**
 * ISO 8601 durations as Key Vault's rotation policies use them (P90D, P3M, PT48H, P1Y10D). Years and months are
 * calendar steps when added to a time; for the policy's minimums they count as 365 and 30 days.
 */
export interface IsoDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const PATTERN = /^P(?!$)(?:(\d{1,4})Y)?(?:(\d{1,5})M)?(?:(\d{1,5})W)?(?:(\d{1,6})D)?(?:T(?=\d)(?:(\d{1,7})H)?(?:(\d{1,9})M)?(?:(\d{1,10})S)?)?$/;

const DAY = 86_400;

/** The duration, or undefined when `text` is not an ISO 8601 duration of whole units. */
export function parseIsoDuration(text: string): IsoDuration | undefined {
  const m = PATTERN.exec(text.toUpperCase());
  if (!m) return undefined;
  const n = (i: number) => Number(m[i] ?? 0);
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
}

/** Length in seconds, with a year as 365 days and a month as 30 (for minimums and comparisons). */
export function approximateSeconds(d: IsoDuration): number {
  return (d.years * 365 + d.months * 30 + d.weeks * 7 + d.days) * DAY + d.hours * 3600 + d.minutes * 60 + d.seconds;
}

/** `at` (Unix seconds) moved by `sign` × `d`, with calendar years and months. */
export function shiftBy(at: number, d: IsoDuration, sign: 1 | -1 = 1): number {
  const date = new Date(at * 1000);
  if (d.years || d.months) date.setUTCMonth(date.getUTCMonth() + sign * (d.years * 12 + d.months));
  const rest = (d.weeks * 7 + d.days) * DAY + d.hours * 3600 + d.minutes * 60 + d.seconds;
  return Math.floor(date.getTime() / 1000) + sign * rest;
}
