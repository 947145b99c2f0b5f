/**
 * The dashboard's data: updates, tags and server info, loaded from the API.
 * Mutations are optimistic: the local state changes at once, the request is
 * sent, and whatever the outcome the data is fetched again so the screen
 * matches the server. A failure rolls the optimistic change back and shows
 * the server's message in an error toast.
 */
import { parseImageRef } from '../lib/imageRef';
import type { ServerInfo, Tag, TagRef, Update } from '../lib/types';
import { api, ApiError, errorMessage } from './api';
import { toast } from './toasts';
import type { LiveChange } from './useLiveRefresh';

export interface DashboardState {
  phase: 'loading' | 'ready' | 'error';
  updates: Update[];
  tags: Tag[];
  info: ServerInfo | null;
  /** Message of the last failed load, cleared by the next successful one. */
  loadError: string | null;
  /** Time (ms) of the last successful load. */
  loadedAt: number | null;
}

type Listener = () => void;

export function imageLabel(image: string): string {
  const ref = parseImageRef(image);
  return ref.tag ? `${ref.displayRepository}:${ref.tag}` : ref.displayRepository;
}

export class DashboardStore {
  private state: DashboardState = { phase: 'loading', updates: [], tags: [], info: null, loadError: null, loadedAt: null };
  private listeners = new Set<Listener>();
  private inflight = 0;
  private epoch = 0;
  private loading: Promise<void> | null = null;
  private again = false;

  subscribe = (l: Listener) => {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  };

  getSnapshot = () => this.state;

  private set(patch: Partial<DashboardState>) {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  /** Loads everything again. Concurrent calls are coalesced. */
  refresh = (): Promise<void> => {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.loading;
  };

  /**
   * Follows the live stream: applies the changes it announced by fetching only
   * the updates they name, or loads everything again when that is simpler
   * (tag changes, large bursts, a load or a mutation under way).
   */
  sync = async (changes?: LiveChange[]): Promise<void> => {
    const plan = changes && planChanges(changes);
    if (!plan || this.state.phase !== 'ready' || this.loading || this.inflight > 0) return this.refresh();
    const epoch = this.epoch;
    try {
      const fetched = await Promise.all(
        [...plan.fetch].map((id) =>
          api.update(id).catch((err: unknown) => {
            // Deleted since the event was sent: drop it like a deletion.
            if (err instanceof ApiError && err.status === 404) return null;
            throw err;
          }),
        ),
      );
      // Something else changed the list meanwhile: a full load is the safe answer.
      if (epoch !== this.epoch || this.loading || this.inflight > 0) return this.refresh();
      const gone = new Set(plan.remove);
      for (const [i, id] of [...plan.fetch].entries()) if (fetched[i] === null) gone.add(id);
      this.set({ updates: mergeUpdates(this.state.updates, fetched.filter((u): u is Update => u !== null), gone) });
    } catch {
      return this.refresh();
    }
  };

  private async load() {
    const epoch = this.epoch;
    try {
      const [updates, tags, info] = await Promise.all([api.updates(), api.tags(), this.state.info ? Promise.resolve(this.state.info) : api.info()]);
      // A mutation started meanwhile: this answer may predate it. Its own refresh follows.
      if (epoch !== this.epoch || this.inflight > 0) {
        if (this.inflight === 0) this.again = true;
        return;
      }
      this.set({ phase: 'ready', updates, tags, info, loadError: null, loadedAt: Date.now() });
    } catch (err) {
      this.set({ phase: this.state.phase === 'ready' ? 'ready' : 'error', loadError: errorMessage(err) });
    }
  }

  /** Runs a mutation with an optimistic local change, rollback on failure, and a refresh after. */
  private async mutate<T>(opts: {
    optimistic?: (s: DashboardState) => Partial<DashboardState>;
    run: () => Promise<T>;
    failure: string;
  }): Promise<T | undefined> {
    const before = { updates: this.state.updates, tags: this.state.tags };
    this.epoch++;
    this.inflight++;
    if (opts.optimistic) this.set(opts.optimistic(this.state));
    try {
      return await opts.run();
    } catch (err) {
      this.set(before);
      toast.error(opts.failure, errorMessage(err));
      return undefined;
    } finally {
      this.inflight--;
      if (this.inflight === 0) void this.refresh();
    }
  }

  private mapUpdates(ids: Iterable<number>, fn: (u: Update) => Update) {
    const set = new Set(ids);
    return (s: DashboardState) => ({ updates: s.updates.map((u) => (set.has(u.id) ? fn(u) : u)) });
  }

  private find(id: number) {
    return this.state.updates.find((u) => u.id === id);
  }

  private describe(ids: number[]): string {
    if (ids.length === 1) {
      const u = this.find(ids[0]);
      if (u) return `${imageLabel(u.image)} on ${u.hostname}`;
    }
    return `${ids.length} updates`;
  }

  async acknowledge(ids: number[], opts: { target?: { tag_id: number } } = {}): Promise<boolean> {
    if (ids.length === 0) return false;
    const now = new Date().toISOString();
    const label = this.describe(ids);
    const ok = await this.mutate({
      optimistic: this.mapUpdates(ids, (u) => (u.acknowledged_at ? u : { ...u, acknowledged_at: now })),
      run: async () => {
        if (opts.target) await api.acknowledge(opts.target);
        else if (ids.length === 1) await api.setAcknowledged(ids[0], true);
        else await api.acknowledge({ ids });
        return true;
      },
      failure: ids.length === 1 ? 'Could not acknowledge the update' : 'Could not acknowledge the updates',
    });
    if (ok) {
      toast.success(`Acknowledged ${label}`, { action: { label: 'Undo', run: () => void this.unacknowledge(ids, { quiet: true }) } });
    }
    return ok === true;
  }

  async unacknowledge(ids: number[], opts: { quiet?: boolean } = {}): Promise<boolean> {
    if (ids.length === 0) return false;
    const label = this.describe(ids);
    const ok = await this.mutate({
      optimistic: this.mapUpdates(ids, (u) => ({ ...u, acknowledged_at: null })),
      run: async () => {
        await Promise.all(ids.map((id) => api.setAcknowledged(id, false)));
        return true;
      },
      failure: 'Could not mark as pending again',
    });
    if (ok && !opts.quiet) toast.success(`${label} is pending again`);
    if (ok && opts.quiet) toast.info(`Restored ${label}`);
    return ok === true;
  }

  async deleteUpdate(id: number): Promise<boolean> {
    const label = this.describe([id]);
    const ok = await this.mutate({
      optimistic: (s) => ({ updates: s.updates.filter((u) => u.id !== id) }),
      run: async () => {
        await api.deleteUpdate(id);
        return true;
      },
      failure: 'Could not delete the update',
    });
    if (ok) toast.success(`Deleted ${label}`);
    return ok === true;
  }

  async createTag(name: string): Promise<Tag | undefined> {
    const tag = await this.mutate({ run: () => api.createTag(name.trim()), failure: 'Could not create the tag' });
    if (tag) {
      this.set({ tags: [...this.state.tags.filter((t) => t.id !== tag.id), tag] });
      toast.success(`Created tag ${tag.name}`);
    }
    return tag;
  }

  async renameTag(id: number, name: string): Promise<boolean> {
    const trimmed = name.trim();
    const ok = await this.mutate({
      optimistic: (s) => ({
        tags: s.tags.map((t) => (t.id === id ? { ...t, name: trimmed } : t)),
        updates: s.updates.map((u) => (u.tag?.id === id ? { ...u, tag: { id, name: trimmed } } : u)),
      }),
      run: async () => {
        await api.renameTag(id, trimmed);
        return true;
      },
      failure: 'Could not rename the tag',
    });
    if (ok) toast.success(`Renamed tag to ${trimmed}`);
    return ok === true;
  }

  async deleteTag(id: number): Promise<boolean> {
    const name = this.state.tags.find((t) => t.id === id)?.name ?? 'tag';
    const ok = await this.mutate({
      optimistic: (s) => ({
        tags: s.tags.filter((t) => t.id !== id),
        updates: s.updates.map((u) => (u.tag?.id === id ? { ...u, tag: null } : u)),
      }),
      run: async () => {
        await api.deleteTag(id);
        return true;
      },
      failure: 'Could not delete the tag',
    });
    if (ok) toast.success(`Deleted tag ${name}`);
    return ok === true;
  }

  /** Puts images (across all hosts) in a tag, or takes them out of their tag with `tag = null`. */
  async setImageTag(images: string[], tag: TagRef | null): Promise<boolean> {
    const set = new Set(images);
    if (set.size === 0) return false;
    const list = [...set];
    const ok = await this.mutate({
      optimistic: (s) => ({ updates: s.updates.map((u) => (set.has(u.image) ? { ...u, tag: tag ? { id: tag.id, name: tag.name } : null } : u)) }),
      run: async () => {
        await Promise.all(list.map((image) => (tag ? api.assignTag(image, tag.id) : api.unassignTag(image))));
        return true;
      },
      failure: tag ? `Could not move to ${tag.name}` : 'Could not remove the tag',
    });
    if (ok) {
      const what = list.length === 1 ? imageLabel(list[0]) : `${list.length} images`;
      toast.success(tag ? `Moved ${what} to ${tag.name}` : `Removed the tag from ${what}`);
    }
    return ok === true;
  }
}

export const store = new DashboardStore();

/** At most this many updates are fetched one by one for a burst; more, and the list is loaded whole. */
export const MAX_SINGLE_FETCHES = 25;

/** Which updates a burst of changes asks to fetch or remove; `null` when only a full load will do. */
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
        // Tags and assignments change tag names and counts across many updates.
        return null;
    }
  }
  return fetch.size > MAX_SINGLE_FETCHES ? null : { fetch, remove };
}

/** The list with `fresh` updates replaced or added and `gone` ones removed, in the server's order. */
export function mergeUpdates(current: Update[], fresh: Update[], gone: Set<number>): Update[] {
  const byId = new Map(fresh.map((u) => [u.id, u]));
  const kept = current.filter((u) => !gone.has(u.id) && !byId.has(u.id));
  const merged = [...kept, ...fresh.filter((u) => !gone.has(u.id))];
  // Newest last_seen_at first, then the higher id, as GET api/updates orders them. Times are
  // compared as instants: their text has a varying number of fractional digits.
  const seen = new Map(merged.map((u) => [u.id, Date.parse(u.last_seen_at)]));
  return merged.sort((a, b) => seen.get(b.id)! - seen.get(a.id)! || b.id - a.id);
}
