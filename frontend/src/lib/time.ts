/** Relative and exact time formatting. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;

/** Compact duration: `45 s`, `12 min`, `3 h`, `2 d`, `4 mo`, `1 y`. */
export function formatDuration(ms: number): string {
  const abs = Math.max(0, ms);
  if (abs < MINUTE) return `${Math.floor(abs / 1000)} s`;
  if (abs < HOUR) return `${Math.floor(abs / MINUTE)} min`;
  if (abs < DAY) return `${Math.floor(abs / HOUR)} h`;
  if (abs < MONTH) return `${Math.floor(abs / DAY)} d`;
  if (abs < YEAR) return `${Math.floor(abs / MONTH)} mo`;
  return `${Math.floor(abs / YEAR)} y`;
}

/** `just now`, `5 min ago`, `3 h ago`, `2 d ago`… Times slightly in the future (clock skew) read `just now`. */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const diff = now - t;
  if (diff < 45_000) return 'just now';
  return `${formatDuration(diff)} ago`;
}

/** Exact local time for tooltips: `Fri, 20 Nov 2026, 09:15:00 (2026-11-20T08:15:00Z)`. */
export function formatExact(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const local = d.toLocaleString(undefined, {
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return `${local} (${iso})`;
}

/** Short local date and time: `20 Nov 2026, 09:15`. */
export function formatShort(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
