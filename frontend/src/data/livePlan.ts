/** What a burst of live events asks the dashboard to do. */
import type { LiveChange } from './useLiveRefresh';

/** At most this many updates are fetched one by one for a burst; more, and the loaded pages are reloaded instead. */
export const MAX_SINGLE_FETCHES = 25;

/**
 * Which updates a burst of changes asks to fetch (and merge in place) or
 * remove; `null` when the summary and the loaded pages must be reloaded
 * (tags and assignments change names and membership across many updates;
 * large bursts cost more one by one than as pages).
 */
export function planChanges(changes: LiveChange[]): { fetch: Set<number>; remove: Set<number> } | null {
  const fetch = new Set<number>();
  const remove = new Set<number>();
  for (const change of changes) {
    const ids = change.ids ?? (change.id === undefined ? [] : [change.id]);
    switch (change.type) {
      case 'update.created':
      case 'update.changed':
      case 'update.acknowledged':
      case 'update.unacknowledged':
        for (const id of ids) if (!remove.has(id)) fetch.add(id);
        break;
      case 'update.deleted':
        for (const id of ids) {
          fetch.delete(id);
          remove.add(id);
        }
        break;
      default:
        return null;
    }
  }
  return fetch.size > MAX_SINGLE_FETCHES ? null : { fetch, remove };
}

/** Updates that a burst announces as arrived: a new image and host, or a new notification for one. */
export function arrivalsOf(changes: readonly LiveChange[]): Set<number> {
  const ids = new Set<number>();
  for (const change of changes) {
    if (change.type !== 'update.created' && change.type !== 'update.changed') continue;
    for (const id of change.ids ?? (change.id === undefined ? [] : [change.id])) ids.add(id);
  }
  return ids;
}
