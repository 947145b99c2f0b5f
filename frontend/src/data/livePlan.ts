/** What a burst of live events asks the dashboard to do. */
import type { LiveChange } from './useLiveRefresh';

/**
 * The triage kinds (issue 12), by their wire name with or without the
 * `update.` prefix: each names updates whose state changed, fetched and merged
 * in place like an acknowledge.
 */
const STATE_KINDS = new Set(['snoozed', 'unsnoozed', 'muted', 'unmuted']);

/** The kind of a change without an `update.` prefix (`update.snoozed` → `snoozed`). */
export function kindOf(type: string): string {
  return type.startsWith('update.') ? type.slice('update.'.length) : type;
}

/** Mute rules were created or deleted (their list and counts changed). */
export function isMuteRulesChange(type: string): boolean {
  return type === 'mute_rules' || type.startsWith('mute_rules.') || type.startsWith('mute_rule.');
}

export interface LivePlan {
  /** Updates to fetch and merge in place. */
  fetch: Set<number>;
  /** Updates gone (deleted). */
  remove: Set<number>;
  /** The mute rules changed: their list is asked for again (when shown). */
  rules: boolean;
  /** Updates were muted or unmuted: the rules' counts moved. */
  mutedChanged: boolean;
}

/** At most this many updates are fetched one by one for a burst; more, and the loaded pages are reloaded instead. */
export const MAX_SINGLE_FETCHES = 25;

/**
 * Which updates a burst of changes asks to fetch (and merge in place) or
 * remove; `null` when the summary and the loaded pages must be reloaded
 * (tags and assignments change names and membership across many updates;
 * large bursts cost more one by one than as pages).
 */
export function planChanges(changes: LiveChange[]): LivePlan | null {
  const fetch = new Set<number>();
  const remove = new Set<number>();
  let rules = false;
  let mutedChanged = false;
  for (const change of changes) {
    const ids = change.ids ?? (change.id === undefined ? [] : [change.id]);
    if (isMuteRulesChange(change.type)) {
      rules = true;
      continue;
    }
    const kind = kindOf(change.type);
    if (STATE_KINDS.has(kind)) {
      if (kind === 'muted' || kind === 'unmuted') mutedChanged = true;
      for (const id of ids) if (!remove.has(id)) fetch.add(id);
      continue;
    }
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
  return fetch.size > MAX_SINGLE_FETCHES ? null : { fetch, remove, rules, mutedChanged };
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
