/** "Not now": snooze presets, the custom date's checks, and how a snooze's end reads. */

const DAY = 24 * 60 * 60 * 1000;

export type SnoozePreset = 'day' | 'week' | 'month';

export const SNOOZE_PRESETS: ReadonlyArray<{ preset: SnoozePreset; label: string; short: string }> = [
  { preset: 'day', label: 'For 1 day', short: '1 day' },
  { preset: 'week', label: 'For 1 week', short: '1 week' },
  { preset: 'month', label: 'For 1 month', short: '1 month' },
];

/** The end of a preset snooze started at `now`: the same time of day, 1 day, 7 days or 1 calendar month later. */
export function presetUntil(preset: SnoozePreset, now: number = Date.now()): string {
  const d = new Date(now);
  if (preset === 'day') return new Date(now + DAY).toISOString();
  if (preset === 'week') return new Date(now + 7 * DAY).toISOString();
  const day = d.getDate();
  d.setMonth(d.getMonth() + 1);
  // 31 Jan + 1 month is 28/29 Feb, not 3 Mar.
  if (d.getDate() !== day) d.setDate(0);
  return d.toISOString();
}

/** The server refuses a snooze more than a year ahead. */
export function latestSnooze(now: number = Date.now()): Date {
  return new Date(now + 365 * DAY);
}

/** A `datetime-local` input's value (local time, minutes) for an instant. */
export function toLocalInput(t: number | Date): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Default of the "pick a date" field: tomorrow at 09:00 local time. */
export function defaultCustomSnooze(now: number = Date.now()): string {
  const d = new Date(now);
  d.setDate(d.getDate() + 1);
  d.setHours(9, 0, 0, 0);
  return toLocalInput(d);
}

/** Reads the "pick a date" field: the instant (RFC 3339) or a sentence saying what is wrong. */
export function parseCustomSnooze(value: string, now: number = Date.now()): { until: string } | { error: string } {
  if (!value) return { error: 'Choose a date and time.' };
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return { error: 'This is not a date.' };
  if (t <= now + 60_000) return { error: 'Choose a time in the future.' };
  if (t > latestSnooze(now).getTime()) return { error: 'Snooze for at most a year.' };
  return { until: new Date(t).toISOString() };
}

/** How a snooze's end reads on a row: `until Tue 9 Dec, 09:00`, with the year when it is not this year's. */
export function formatUntil(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }), hour: '2-digit', minute: '2-digit' });
}
