/**
 * The dashboard's data, loaded a page at a time.
 *
 * - `totals`: the unfiltered summary (tiles, host list, empty state).
 * - `summary`: the summary under the current search/tag/host (status counts, section headers).
 * - `pages`: per section (tag), the updates loaded so far under the current query;
 *   the list asks for the next page (`loadMore`) as the user scrolls.
 *
 * Nothing ever loads the whole table. Live events and the answers of our own
 * mutations are merged in place (`placeUpdates`); when that is not possible
 * (tags, bulk changes) the summary and the pages already loaded are reloaded,
 * and only if the server's revision (ETag) moved.
 *
 * Mutations are optimistic through "overlays": a patch applied to every loaded
 * update it concerns, and to whatever arrives while the request is in flight,
 * so a page loaded meanwhile cannot bring the old state back. A failure removes
 * the overlay, puts the previous versions back and shows the server's message.
 */
import { countFor, groupKey, imageKey, sectionOf, type LoadedGroup } from '../lib/grouping';
import { matches } from '../lib/filter';
import { isTestNotification, parseImageRef } from '../lib/imageRef';
import { ruleMatches } from '../lib/mutePattern';
import { formatUntil } from '../lib/snooze';
import type { ImageGroup, MuteRule, NewMuteRule, ServerInfo, Summary, Tag, TagRef, Update, UpdatePage, UpdateState } from '../lib/types';
import { api, ApiError, errorMessage, MAX_BULK_IMAGES, type AckTarget, type Fresh, type UnackTarget } from './api';
import { appendPage, hasMore, loadedWhere, NOT_LOADED, placeUpdates, provisionalSummary, type Pages } from './groupPages';
import { arrivalsOf, MAX_SINGLE_FETCHES, planChanges } from './livePlan';
import { groupAckFilter, imageQuery, isFiltered, pageQuery, sameQuery, summaryFilter, type ListQuery } from './listQuery';
import { toast, toastStore } from './toasts';
import type { LiveChange } from './useLiveRefresh';

/** Updates per page while scrolling. */
export const PAGE_SIZE = 100;
/** On a new query, first pages are fetched for the first expanded sections until about this many rows. */
export const FIRST_SCREEN_ROWS = 30;
/** The server's largest page, used to reload what is loaded in few requests. */
export const MAX_PAGE = 1000;

export interface DashboardState {
  phase: 'loading' | 'ready' | 'error';
  info: ServerInfo | null;
  tags: Tag[];
  totals: Summary | null;
  summary: Summary | null;
  /** The query `summary` and `pages` belong to. */
  query: ListQuery | null;
  pages: Pages;
  /** Message of the last failed load, cleared by the next successful one. */
  loadError: string | null;
  /** Time (ms) of the last successful load. */
  loadedAt: number | null;
  /** Rows that just left the view (acknowledged in the pending view…), kept in place a moment so nothing slides under the pointer. */
  leaving: ReadonlySet<number>;
  /** Updates that arrived through the live stream a moment ago (id → time in ms), marked "new". */
  arrivals: ReadonlyMap<number, number>;
  /** Diun's test notifications (`diun notif test`): shown as "connection works", not as updates. */
  testNotifications: Update[];
  /** The change that `undo()` takes back, or null. */
  undo: UndoEntry | null;
  /** Grouped by image: the image rows loaded (null when grouped by tag). */
  images: ImageList | null;
  /** Image rows just acknowledged as a whole, kept in place a moment (like `leaving`). */
  leavingImages: ReadonlySet<string>;
  /** The mute rules, once asked for (the manager, the muted view, a muted row). */
  muteRules: MuteRule[] | null;
}

/** Grouped by image: the image rows loaded so far (GET api/images pages). */
export interface ImageList {
  images: ImageGroup[];
  cursor: string | null;
  loading: boolean;
  error: string | null;
}

/** A change that can be taken back (the undo shortcut, the toast's Undo button). */
export interface UndoEntry {
  id: number;
  /** What was done, e.g. "Acknowledged nginx:1.27 on nas". */
  label: string;
  run: () => Promise<boolean>;
}

/** What happened to an update in this session, for its history timeline (the server keeps notifications only). */
export interface SessionChange {
  kind: 'acknowledged' | 'unacknowledged';
  at: string;
}

/** How long a row that left the view stays in place (inert) before the rows below move up. */
export const LEAVING_MS = 1200;
/** How long a live arrival stays marked "new". */
export const ARRIVAL_MS = 30_000;
/** Image rows per page when grouped by image. */
export const IMAGE_PAGE_SIZE = 100;
/** When grouped by image, the first pages of at most this many expanded images load with the list. */
const FIRST_IMAGES_EXPANDED = 5;
/** Changes kept for undo. */
const UNDO_DEPTH = 20;

/** An optimistic change: `apply` gives the new version of a matching update, or null to hide it. */
interface Overlay {
  test: (u: Update) => boolean;
  apply: (u: Update) => Update | null;
}

type Listener = () => void;

export function imageLabel(image: string): string {
  const ref = parseImageRef(image);
  return ref.tag ? `${ref.displayRepository}:${ref.tag}` : ref.displayRepository;
}

function bodyOf(fresh: Fresh<Summary>, previous: Summary | null): Summary {
  return fresh.changed ? fresh.body : previous!;
}

export class DashboardStore {
  private state: DashboardState = {
    phase: 'loading',
    info: null,
    tags: [],
    totals: null,
    summary: null,
    query: null,
    pages: new Map(),
    loadError: null,
    loadedAt: null,
    leaving: new Set(),
    arrivals: new Map(),
    testNotifications: [],
    undo: null,
    images: null,
    leavingImages: new Set(),
    muteRules: null,
  };
  /** How long leaving rows stay (0: they go at once). */
  private leavingMs: number;

  constructor(opts: { leavingMs?: number } = {}) {
    this.leavingMs = opts.leavingMs ?? LEAVING_MS;
  }

  private undoStack: UndoEntry[] = [];
  private nextUndoId = 1;
  private session = new Map<number, SessionChange[]>();
  private listeners = new Set<Listener>();
  /** The query asked for last (may still be loading). */
  private wanted: ListQuery | null = null;
  /** The query whose load failed, to try again. */
  private failed: ListQuery | null = null;
  /** Bumped by every new query: answers that belong to an older one are dropped. */
  private generation = 0;
  /** Bumped by every local change of `pages`: a reload that started before one is done again. */
  private epoch = 0;
  /** ETag of `totals`; the pages reflect every change merged up to it. */
  private totalsEtag: string | null = null;
  private summaryEtag: string | null = null;
  /** ETag (revision) as of which the loaded pages were last loaded whole. */
  private pagesEtag: string | null = null;
  private overlays = new Set<Overlay>();
  private isExpanded: (key: string) => boolean = () => true;
  private refreshing: Promise<void> | null = null;
  private refreshAgain: 'groups' | 'revalidate' | null = null;

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

  /** Which sections are expanded (collapsed ones load nothing). */
  setExpanded(fn: (key: string) => boolean) {
    this.isExpanded = fn;
  }

  /** The update as the screen must show it: overlays applied; null when hidden. */
  private overlaid(u: Update): Update | null {
    let v: Update | null = u;
    for (const o of this.overlays) if (v && o.test(v)) v = o.apply(v);
    return v;
  }

  private overlaidAll(list: readonly Update[], query: ListQuery): Update[] {
    const out: Update[] = [];
    for (const u of list) {
      const v = this.overlaid(u);
      if (v && (matches(v, query) || this.state.leaving.has(v.id))) out.push(v);
    }
    return out;
  }

  /** Puts changed updates in place and takes gone ones out (overlays applied). */
  private merge(fresh: readonly Update[], gone: Iterable<number>) {
    const query = this.state.query;
    if (!query) return;
    const hidden = new Set(gone);
    const shown: Update[] = [];
    for (const u of fresh) {
      const v = this.overlaid(u);
      if (v) shown.push(v);
      else hidden.add(u.id);
    }
    this.epoch++;
    const leaving = this.state.leaving;
    this.set({ pages: placeUpdates(this.state.pages, shown, hidden, query, (u) => leaving.has(u.id), (u) => sectionOf(u, query.by)) });
  }

  // ---------------------------------------------------------------- loading

  /**
   * Shows the list for a query: its summary, then the first pages of the first
   * expanded sections, swapped in at once (the previous results stay on screen
   * until then, so typing in the search box does not flash).
   */
  show = async (query: ListQuery): Promise<void> => {
    if (sameQuery(query, this.wanted)) return;
    this.wanted = query;
    const gen = ++this.generation;
    const first = this.state.phase !== 'ready';
    const guesses = first || query.by === 'image' ? new Map<string, Promise<UpdatePage>>() : this.guessFirstPages(query);
    let settled = false;
    if (guesses.size > 0) {
      // The pages usually come well before the summary: show them at once with stand-in counts.
      Promise.all(guesses.values())
        .then((got) => {
          if (settled || gen !== this.generation || !got.some((p) => p.updates.length > 0)) return;
          const keys = [...guesses.keys()];
          this.epoch++;
          this.set({
            query,
            summary: provisionalSummary(got, this.state.summary!),
            pages: this.settle(new Map(keys.map((key, i) => [key, appendPage(NOT_LOADED, got[i])])), query),
          });
        })
        .catch(() => undefined);
    }
    try {
      // The summary counts every matching update: on a large table it costs the server far more
      // than a page. Asked for after the guessed pages, it does not slow them down.
      if (guesses.size > 0) await Promise.allSettled(guesses.values());
      if (gen !== this.generation) return;
      const [totals, filtered, tags, info, images] = await Promise.all([
        first || !this.state.totals ? api.summary({}) : null,
        isFiltered(query) ? api.summary(summaryFilter(query)) : null,
        first ? api.tags() : null,
        this.state.info ? null : api.info(),
        query.by === 'image' ? this.walkImages(query, IMAGE_PAGE_SIZE) : null,
      ]);
      if (gen !== this.generation) return;
      const totalsBody = totals ? bodyOf(totals, null) : this.state.totals!;
      const summary = filtered ? bodyOf(filtered, null) : totalsBody;
      const pages = images ? await this.firstImagePages(query, images.images) : await this.firstPages(query, summary, guesses);
      if (gen !== this.generation) return;
      settled = true;
      if (totals) this.totalsEtag = totals.etag;
      this.summaryEtag = filtered ? filtered.etag : null;
      // Pages of a new query are loaded whole as of (at least) the revision of its summary.
      this.pagesEtag = (filtered ?? totals)?.etag ?? this.pagesEtag;
      this.epoch++;
      if (first) void this.loadTestNotifications();
      this.set({
        phase: 'ready',
        totals: totalsBody,
        summary,
        query,
        tags: tags ?? this.state.tags,
        info: info ?? this.state.info,
        pages: this.settle(pages, query),
        images,
        loadError: null,
        loadedAt: Date.now(),
      });
      if (query.status === 'muted' && this.state.muteRules === null) void this.loadMuteRules();
    } catch (err) {
      if (gen !== this.generation) return;
      // So that "Try again" or the next refresh asks again.
      this.wanted = null;
      this.failed = query;
      this.set({ phase: this.state.phase === 'ready' ? 'ready' : 'error', loadError: errorMessage(err) });
    }
  };

  /** Overlays applied to freshly loaded pages; rows leaving the view stay for their moment. */
  private settle(pages: Map<string, LoadedGroup>, query: ListQuery): Map<string, LoadedGroup> {
    if (this.overlays.size > 0) for (const [key, g] of pages) pages.set(key, { ...g, updates: this.overlaidAll(g.updates, query) });
    const leaving = this.state.leaving;
    if (leaving.size === 0 || !sameQuery(query, this.state.query)) return pages;
    const held = [...loadedWhere(this.state.pages, (u) => leaving.has(u.id)).values()];
    return placeUpdates(pages, held, new Set(), query, (u) => leaving.has(u.id), (u) => sectionOf(u, query.by));
  }

  /** These rows stop leaving (their change was undone): they are ordinary rows again at once. */
  private stopLeaving(ids: readonly number[]) {
    if (!ids.some((id) => this.state.leaving.has(id))) return;
    const leaving = new Set(this.state.leaving);
    ids.forEach((id) => leaving.delete(id));
    this.set({ leaving });
  }

  /**
   * A search or filter change usually keeps the sections at the top: their first
   * pages under the new query are asked for at the same time as its summary
   * rather than after it (at most 3 requests, unused when the guess is wrong).
   */
  private guessFirstPages(query: ListQuery): Map<string, Promise<UpdatePage>> {
    const guesses = new Map<string, Promise<UpdatePage>>();
    for (const s of this.state.summary?.tags ?? []) {
      const key = groupKey(s.tag);
      if (!this.state.pages.get(key)?.started || !this.isExpanded(key)) continue;
      const page = api.page(pageQuery(query, key, PAGE_SIZE));
      page.catch(() => undefined); // an unused guess may fail quietly
      guesses.set(key, page);
      if (guesses.size === 3) break;
    }
    return guesses;
  }

  private async firstPages(query: ListQuery, summary: Summary, guesses: Map<string, Promise<UpdatePage>>): Promise<Map<string, LoadedGroup>> {
    const keys: string[] = [];
    let rows = 0;
    for (const s of summary.tags) {
      const count = countFor(s, query.status);
      if (count === 0) continue;
      const key = groupKey(s.tag);
      rows++;
      if (!this.isExpanded(key)) continue;
      keys.push(key);
      rows += Math.min(count, PAGE_SIZE);
      if (rows >= FIRST_SCREEN_ROWS) break;
    }
    const got = await Promise.all(keys.map((key) => guesses.get(key) ?? api.page(pageQuery(query, key, PAGE_SIZE))));
    return new Map(keys.map((key, i) => [key, appendPage(NOT_LOADED, got[i])]));
  }

  /** Grouped by image: the first pages of the first expanded images (usually none: images start collapsed). */
  private async firstImagePages(query: ListQuery, images: readonly ImageGroup[]): Promise<Map<string, LoadedGroup>> {
    const keys = images.map((img) => imageKey(img.image)).filter((key) => this.isExpanded(key)).slice(0, FIRST_IMAGES_EXPANDED);
    const got = await Promise.all(keys.map((key) => api.page(pageQuery(query, key, PAGE_SIZE))));
    return new Map(keys.map((key, i) => [key, appendPage(NOT_LOADED, got[i])]));
  }

  /** The first `want` image rows under a query (at least one page), in as few requests as the server allows. */
  private async walkImages(query: ListQuery, want: number): Promise<ImageList> {
    const limit = Math.min(MAX_PAGE, Math.ceil(want / IMAGE_PAGE_SIZE) * IMAGE_PAGE_SIZE);
    const images: ImageGroup[] = [];
    let cursor: string | null = null;
    do {
      const page = await api.images(imageQuery(query, limit, cursor));
      if (!page.changed) break;
      images.push(...page.body.images);
      cursor = page.body.next_cursor;
    } while (cursor !== null && images.length < want);
    return { images, cursor, loading: false, error: null };
  }

  /** Grouped by image: the next page of image rows (the list asks as its end scrolls into view). */
  loadMoreImages = async (): Promise<void> => {
    const query = this.state.query;
    const list = this.state.images;
    if (!query || query.by !== 'image' || !list || list.loading || list.cursor === null) return;
    const gen = this.generation;
    this.set({ images: { ...list, loading: true, error: null } });
    const stillMine = () => (gen === this.generation && this.state.images?.loading && this.state.images.cursor === list.cursor ? this.state.images : null);
    try {
      const page = await api.images(imageQuery(query, IMAGE_PAGE_SIZE, list.cursor));
      const cur = stillMine();
      if (!cur || !page.changed) return;
      const have = new Set(cur.images.map((i) => i.image));
      this.set({ images: { images: [...cur.images, ...page.body.images.filter((i) => !have.has(i.image))], cursor: page.body.next_cursor, loading: false, error: null } });
    } catch (err) {
      const cur = stillMine();
      if (!cur) return;
      if (err instanceof ApiError && err.status === 400 && err.field === 'cursor') void this.reloadImages();
      else this.set({ images: { ...cur, loading: false, error: errorMessage(err) } });
    }
  };

  /** Grouped by image: the image rows loaded so far, loaded again (their counts and order moved). */
  private async reloadImages(): Promise<void> {
    const query = this.state.query;
    if (!query || query.by !== 'image' || !this.state.images) return;
    const gen = this.generation;
    const list = await this.walkImages(query, Math.max(IMAGE_PAGE_SIZE, this.state.images.images.length));
    if (gen !== this.generation) return;
    this.set({ images: this.keepLeavingImages(list) });
  }

  /** Image rows acknowledged a moment ago stay at their place until their moment is over. */
  private keepLeavingImages(list: ImageList): ImageList {
    const held = this.state.leavingImages;
    if (held.size === 0 || !this.state.images) return list;
    const images = [...list.images];
    const have = new Set(images.map((i) => i.image));
    this.state.images.images.forEach((img, index) => {
      if (held.has(img.image) && !have.has(img.image)) images.splice(Math.min(index, images.length), 0, img);
    });
    return { ...list, images };
  }

  /** Loads the next page of a section (the list calls it when the section's end scrolls into view). */
  loadMore = async (key: string): Promise<void> => {
    const query = this.state.query;
    if (!query || this.state.phase !== 'ready') return;
    const g = this.state.pages.get(key) ?? NOT_LOADED;
    if (g.loading || !hasMore(g)) return;
    const gen = this.generation;
    this.setGroup(key, { ...g, loading: true, error: null });
    const stillMine = () => {
      const cur = this.state.pages.get(key);
      // A reload replaced the section meanwhile: its answer wins.
      return gen === this.generation && !!cur && cur.loading && cur.cursor === g.cursor && cur.started === g.started ? cur : null;
    };
    try {
      const page = await api.page(pageQuery(query, key, PAGE_SIZE, g.started ? g.cursor : null));
      const cur = stillMine();
      if (!cur) return;
      this.epoch++;
      this.setGroup(key, appendPage(cur, { updates: this.overlaidAll(page.updates, query), next_cursor: page.next_cursor }));
    } catch (err) {
      const cur = stillMine();
      if (!cur) return;
      // The cursor no longer fits (e.g. the server restarted): walk the section again from the top.
      if (err instanceof ApiError && err.status === 400 && err.field === 'cursor') this.setGroup(key, NOT_LOADED);
      else this.setGroup(key, { ...cur, loading: false, error: errorMessage(err) });
    }
  };

  private setGroup(key: string, g: LoadedGroup) {
    const pages = new Map(this.state.pages);
    pages.set(key, g);
    this.set({ pages });
  }

  /** Fetches the summaries again when the revision moved; says whether it did. */
  private async refreshSummaries(): Promise<boolean> {
    const query = this.state.query;
    if (!query) return false;
    const gen = this.generation;
    const [totals, filtered] = await Promise.all([
      api.summary({}, this.totalsEtag),
      isFiltered(query) ? api.summary(summaryFilter(query), this.summaryEtag) : null,
    ]);
    if (gen !== this.generation) return false;
    this.totalsEtag = totals.etag;
    if (filtered) this.summaryEtag = filtered.etag;
    if (!totals.changed && !filtered?.changed) return false;
    const totalsBody = bodyOf(totals, this.state.totals);
    this.set({ totals: totalsBody, summary: filtered ? bodyOf(filtered, this.state.summary) : totalsBody, loadedAt: Date.now(), loadError: null });
    // Grouped by image, the rows' counts (and which images show) come from api/images.
    if (query.by === 'image') await this.reloadImages();
    return true;
  }

  /**
   * Checks with the server whether anything changed and catches up:
   * - `revalidate` (focus, visibility, polling, stream opened): compared with the
   *   revision of the last summary, which merged changes keep current; 304 → nothing to do.
   * - `groups` (tags, assignments, resync, bulk changes): compared with the revision
   *   the loaded pages were last loaded at; when it moved, the summaries and the
   *   pages already loaded (only those) are loaded again.
   * Concurrent calls are coalesced.
   */
  refresh = (mode: 'groups' | 'revalidate' = 'groups'): Promise<void> => {
    if (this.state.phase !== 'ready' || !this.state.query) {
      // The first load is under way: it is as fresh as it gets.
      if (this.wanted) return Promise.resolve();
      // It failed: load again.
      const q = this.failed;
      return q ? this.show(q) : Promise.resolve();
    }
    if (this.refreshing) {
      if (this.refreshAgain !== 'groups') this.refreshAgain = mode;
      return this.refreshing;
    }
    this.refreshing = this.reload(mode).finally(() => {
      this.refreshing = null;
      const again = this.refreshAgain;
      this.refreshAgain = null;
      if (again) void this.refresh(again);
    });
    return this.refreshing;
  };

  private async reload(mode: 'groups' | 'revalidate') {
    const query = this.state.query!;
    const gen = this.generation;
    try {
      const since = mode === 'revalidate' ? this.totalsEtag : this.pagesEtag;
      const check = await api.summary({}, since);
      if (gen !== this.generation) return;
      if (!check.changed) {
        if (this.state.loadError) this.set({ loadError: null, loadedAt: Date.now() });
        return;
      }
      const epoch = this.epoch;
      const [filtered, tags, pages, images] = await Promise.all([
        isFiltered(query) ? api.summary(summaryFilter(query)) : null,
        api.tags(),
        this.reloadPages(query, this.state.pages),
        query.by === 'image' && this.state.images ? this.walkImages(query, Math.max(IMAGE_PAGE_SIZE, this.state.images.images.length)) : null,
        this.state.muteRules !== null ? this.loadMuteRules() : null,
      ]);
      if (gen !== this.generation) return;
      // Something was merged meanwhile that these pages may predate: do it again.
      if (epoch !== this.epoch) this.refreshAgain = 'groups';
      this.totalsEtag = check.etag;
      this.summaryEtag = filtered?.etag ?? null;
      this.pagesEtag = check.etag;
      this.epoch++;
      this.set({
        totals: check.body,
        summary: filtered ? bodyOf(filtered, null) : check.body,
        tags,
        pages: this.settle(pages, query),
        ...(images ? { images: this.keepLeavingImages(images) } : {}),
        loadedAt: Date.now(),
        loadError: null,
      });
    } catch (err) {
      if (gen === this.generation) this.set({ loadError: errorMessage(err) });
    }
  }

  /** The sections that are loaded and expanded, loaded again as far as they were; the others are forgotten. */
  private async reloadPages(query: ListQuery, pages: Pages): Promise<Map<string, LoadedGroup>> {
    const keys = [...pages].filter(([key, g]) => g.started && this.isExpanded(key)).map(([key, g]) => [key, g.updates.length] as const);
    const reloaded = await Promise.all(keys.map(([key, n]) => this.walk(query, key, Math.max(PAGE_SIZE, n))));
    return new Map(keys.map(([key], i) => [key, reloaded[i]]));
  }

  /** The first `want` updates of a section (or all of it), in pages of the same size. */
  private async walk(query: ListQuery, key: string, want: number): Promise<LoadedGroup> {
    const limit = Math.min(MAX_PAGE, Math.ceil(want / PAGE_SIZE) * PAGE_SIZE);
    let g = NOT_LOADED;
    let fetched = 0;
    while (fetched < want) {
      const page = await api.page(pageQuery(query, key, limit, g.started ? g.cursor : null));
      fetched += page.updates.length;
      g = appendPage(g, page);
      if (g.cursor === null) break;
    }
    return g;
  }

  /**
   * Follows the live stream. Updates named by `update.*` events are fetched one
   * by one and merged in place; anything else (tags, assignments, resync, big
   * bursts, an unreadable event: `changes` undefined) reloads what is loaded.
   */
  sync = async (changes?: LiveChange[]): Promise<void> => {
    const plan = changes && planChanges(changes);
    if (!plan || this.state.phase !== 'ready') {
      // A burst that mixes an arrival with a change that needs a reload (a tag
      // assignment a moment before, say) brings the arrival by that reload: it is
      // still news. Marked now, so its row is marked when it shows.
      const arrived = changes && this.state.phase === 'ready' ? [...arrivalsOf(changes)] : [];
      this.markArrivals(arrived);
      await this.refresh('groups');
      this.unmarkNotNews(arrived);
      return;
    }
    const gen = this.generation;
    try {
      const ids = [...plan.fetch];
      const fetched = await this.fetchByIds(ids);
      const found = fetched.filter((u): u is Update => u !== null);
      // An arrival is news even when a reload overtook this fetch: the reload
      // brings its row, and the mark must be there when it does.
      const arrived = arrivalsOf(changes!);
      this.markArrivals(found.filter((u) => arrived.has(u.id) && u.acknowledged_at === null && !isTestNotification(u.image)).map((u) => u.id));
      if (gen !== this.generation) return;
      const gone = new Set(plan.remove);
      ids.forEach((id, i) => fetched[i] === null && gone.add(id));
      this.noteTestNotifications(found, gone);
      this.merge(found, gone);
      // The rules' list (and how many each holds) is asked for again only when it is shown.
      if ((plan.rules || plan.mutedChanged) && this.state.muteRules !== null) void this.loadMuteRules();
      await this.refreshSummaries();
    } catch {
      return this.refresh('groups');
    }
  };

  /** Marks live arrivals "new" for ARRIVAL_MS. */
  private markArrivals(ids: number[]) {
    if (ids.length === 0) return;
    const arrivals = new Map(this.state.arrivals);
    const now = Date.now();
    for (const id of ids) arrivals.set(id, now);
    this.set({ arrivals });
    setTimeout(() => {
      const left = new Map([...this.state.arrivals].filter(([, t]) => Date.now() - t < ARRIVAL_MS));
      if (left.size !== this.state.arrivals.size) this.set({ arrivals: left });
    }, ARRIVAL_MS + 50);
  }

  /** Marks taken back from loaded updates that are not news: acknowledged, or Diun's test notification. */
  private unmarkNotNews(ids: readonly number[]) {
    const notNews = ids.filter((id) => {
      const u = this.find(id);
      return u !== undefined && (u.acknowledged_at !== null || isTestNotification(u.image));
    });
    if (notNews.length) this.clearArrivals(notNews);
  }

  /** Takes the "new" mark off (the user went to see them). */
  clearArrivals(ids: Iterable<number>) {
    const arrivals = new Map(this.state.arrivals);
    for (const id of ids) arrivals.delete(id);
    if (arrivals.size !== this.state.arrivals.size) this.set({ arrivals });
  }

  /** Keeps the list of Diun test notifications current with fetched updates and deletions. */
  private noteTestNotifications(fetched: readonly Update[], gone: ReadonlySet<number>) {
    const tests = fetched.filter((u) => isTestNotification(u.image));
    const fresh = new Set(tests.map((u) => u.id));
    const before = this.state.testNotifications;
    const kept = before.filter((u) => !gone.has(u.id) && !fresh.has(u.id));
    if (tests.length === 0 && kept.length === before.length) return;
    this.set({ testNotifications: [...tests, ...kept] });
  }

  /** Looks for Diun test notifications (one small search; they are few). */
  private async loadTestNotifications() {
    try {
      const page = await api.page({ q: 'diun/testnotif', limit: 50 });
      this.set({ testNotifications: page.updates.filter((u) => isTestNotification(u.image)) });
    } catch {
      // Not essential: the test notification then shows as an ordinary update.
    }
  }

  /** "Connection works" was read: the test notification is deleted for good (a new `diun notif test` brings it back). */
  async dismissTestNotification(id: number): Promise<boolean> {
    const before = this.state.testNotifications;
    this.set({ testNotifications: before.filter((u) => u.id !== id) });
    try {
      await api.deleteUpdate(id);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        this.set({ testNotifications: before });
        toast.error('Could not dismiss the test notification', errorMessage(err));
        return false;
      }
    }
    this.merge([], [id]);
    await this.refreshSummaries().catch(() => undefined);
    return true;
  }

  private fetchByIds(ids: number[]): Promise<Array<Update | null>> {
    return Promise.all(
      ids.map((id) =>
        api.update(id).catch((err: unknown) => {
          // Deleted since: drop it like a deletion.
          if (err instanceof ApiError && err.status === 404) return null;
          throw err;
        }),
      ),
    );
  }

  // -------------------------------------------------------------- mutations

  /**
   * Runs a mutation: the overlay shows its effect at once; on success `after`
   * merges the answer (and the overlay goes); on failure the previous versions
   * come back, the server's message is shown and the screen catches up.
   */
  private async mutate<T>(opts: { overlay?: Overlay; run: () => Promise<T>; after?: (result: T) => Promise<void> | void; failure: string }): Promise<T | undefined> {
    const { overlay } = opts;
    const before = overlay ? loadedWhere(this.state.pages, overlay.test) : new Map<number, Update>();
    if (overlay) {
      this.overlays.add(overlay);
      this.merge([...before.values()], []);
    }
    let result: T;
    try {
      result = await opts.run();
    } catch (err) {
      if (overlay) {
        this.overlays.delete(overlay);
        this.merge([...before.values()], []);
      }
      toast.error(opts.failure, errorMessage(err));
      // What we showed may be stale (say, deleted elsewhere): catch up.
      void this.refresh('groups');
      return undefined;
    }
    try {
      await opts.after?.(result);
    } catch {
      void this.refresh('groups');
    } finally {
      if (overlay) this.overlays.delete(overlay);
    }
    return result;
  }

  private find(id: number): Update | undefined {
    for (const g of this.state.pages.values()) {
      const u = g.updates.find((x) => x.id === id);
      if (u) return u;
    }
    return undefined;
  }

  private describe(ids: number[]): string {
    if (ids.length === 1) {
      const u = this.find(ids[0]);
      if (u) return `${imageLabel(u.image)} on ${u.hostname}`;
    }
    return `${ids.length.toLocaleString()} updates`;
  }

  // ------------------------------------------------------------------ undo

  /** Changes under way: the undo shortcut waits for them, so it takes back the change just made, not the one before. */
  private inFlight = new Set<Promise<unknown>>();

  private undoable<T>(run: () => Promise<T>): Promise<T> {
    const p = run();
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Toast of each change that can be undone, dismissed when it is undone (by the shortcut too). */
  private undoToasts = new Map<number, number>();

  /** Records a change that can be taken back and says so in a toast with an Undo button. */
  private doneWithUndo(title: string, run: () => Promise<boolean>) {
    const entry: UndoEntry = { id: this.nextUndoId++, label: title, run };
    this.undoStack = [...this.undoStack, entry].slice(-UNDO_DEPTH);
    this.set({ undo: entry });
    const toastId = toast.success(title, { description: UNDO_HINT, action: { label: 'Undo', run: () => void this.undo(entry.id) } });
    this.undoToasts.set(entry.id, toastId);
  }

  /**
   * Takes back the last change (or the one with this id, from its toast's
   * button). Resolves to what was undone, or null when there was nothing.
   */
  undo = async (id?: number): Promise<string | null> => {
    if (id === undefined) await Promise.allSettled([...this.inFlight]);
    const entry = id === undefined ? this.undoStack.at(-1) : this.undoStack.find((e) => e.id === id);
    if (!entry) return null;
    this.undoStack = this.undoStack.filter((e) => e !== entry);
    this.set({ undo: this.undoStack.at(-1) ?? null });
    const toastId = this.undoToasts.get(entry.id);
    this.undoToasts.delete(entry.id);
    if (toastId !== undefined) toastStore.dismiss(toastId);
    const ok = await entry.run();
    return ok ? entry.label : null;
  };

  /** Acknowledgments and un-acknowledgments made in this session, oldest first. */
  sessionChanges(id: number): readonly SessionChange[] {
    return this.session.get(id) ?? [];
  }

  private logSession(ids: Iterable<number>, kind: SessionChange['kind'], at: string) {
    for (const id of ids) this.session.set(id, [...(this.session.get(id) ?? []), { kind, at }]);
  }

  /**
   * Rows that leave the current view by this change (acknowledged in the
   * pending view, marked pending in the acknowledged one) stay where they are,
   * inert, for LEAVING_MS: a second click lands on them, not on the row that
   * would have slid up. Then they go.
   */
  private holdLeaving(ids: number[], becomes: UpdateState) {
    const status = this.state.query?.status;
    if (!status || status === 'all' || status === becomes || ids.length === 0 || this.leavingMs === 0) return;
    const leaving = new Set(this.state.leaving);
    ids.forEach((id) => leaving.add(id));
    this.set({ leaving });
    setTimeout(() => {
      const left = new Set(this.state.leaving);
      ids.forEach((id) => left.delete(id));
      this.set({ leaving: left });
      // Put them through the query again: those that no longer match go.
      this.merge(ids.map((id) => this.find(id)).filter((u): u is Update => u !== undefined), []);
    }, this.leavingMs);
  }

  // -------------------------------------------------------------- mutations

  /** Acknowledges the given (loaded, selected) updates; undo puts exactly these back in one request. */
  acknowledge(ids: number[], opts: { quiet?: boolean } = {}): Promise<boolean> {
    return this.undoable(async () => {
      if (ids.length === 0) return false;
      const idSet = new Set(ids);
      const now = new Date().toISOString();
      const label = this.describe(ids);
      const before = loadedWhere(this.state.pages, (u) => idSet.has(u.id) && u.acknowledged_at === null);
      if (opts.quiet) this.stopLeaving(ids);
      else this.holdLeaving(ids, 'acknowledged');
      const ok = await this.mutate({
        overlay: { test: (u) => idSet.has(u.id) && u.acknowledged_at === null, apply: (u) => ({ ...u, acknowledged_at: now }) },
        run: async () => {
          if (ids.length === 1) return { one: await api.setAcknowledged(ids[0], true) };
          return { many: await api.acknowledge({ ids }) };
        },
        after: async (r) => {
          if (r.one) this.merge([r.one], []);
          else if (r.many) this.merge([...before.values()].map((u) => ({ ...u, acknowledged_at: r.many!.acknowledged_at })), []);
          this.logSession(ids, 'acknowledged', r.one?.acknowledged_at ?? r.many?.acknowledged_at ?? now);
          await this.refreshSummaries();
        },
        failure: ids.length === 1 ? 'Could not acknowledge the update' : 'Could not acknowledge the updates',
      });
      if (ok && !opts.quiet) {
        this.doneWithUndo(`Acknowledged ${label}`, () => this.unacknowledge(ids, { quiet: true }));
      }
      if (ok && opts.quiet) toast.info(`Acknowledged ${label} again`);
      // Failed: the row is not leaving after all.
      if (ok === undefined) this.stopLeaving(ids);
      return ok !== undefined;
    });
  }

  /**
   * "Acknowledge all" of a section: every pending update of it under the
   * current search and host, loaded or not, in one request. Undo puts back
   * exactly those (the ones acknowledged at the instant the server answered).
   */
  acknowledgeGroup(key: string, tag: TagRef | null, pendingCount: number): Promise<boolean> {
    return this.undoable(async () => {
      const query = this.state.query;
      if (!query) return false;
      const filter = groupAckFilter(query, key);
      const now = new Date().toISOString();
      const inGroup = (u: Update) => u.acknowledged_at === null && groupKey(u.tag) === key && matches(u, { ...query, status: 'pending' });
      const name = tag?.name ?? 'Untagged';
      const before = loadedWhere(this.state.pages, inGroup);
      const result = await this.mutate({
        overlay: { test: inGroup, apply: (u) => ({ ...u, acknowledged_at: now }) },
        run: () => api.acknowledge({ filter }),
        after: async (r) => {
          this.merge([...before.values()].map((u) => ({ ...u, acknowledged_at: r.acknowledged_at })), []);
          this.logSession(before.keys(), 'acknowledged', r.acknowledged_at);
          await this.refreshSummaries();
        },
        failure: `Could not acknowledge ${name}`,
      });
      if (result) {
        const n = result.acknowledged || pendingCount;
        this.doneWithUndo(`Acknowledged ${n.toLocaleString()} update${n === 1 ? '' : 's'} in ${name}`, () => this.undoAcknowledge({ acknowledged_at: result.acknowledged_at }, n));
      }
      return result !== undefined;
    });
  }

  /** Puts back a bulk acknowledge by its instant. */
  private async undoAcknowledge(target: Extract<UnackTarget, { acknowledged_at: string }>, count: number): Promise<boolean> {
    const at = target.acknowledged_at;
    const restored = new Set<number>();
    const ok = await this.mutate({
      overlay: {
        test: (u) => u.acknowledged_at !== null && Date.parse(u.acknowledged_at) === Date.parse(at),
        apply: (u) => {
          restored.add(u.id);
          return { ...u, acknowledged_at: null };
        },
      },
      run: () => api.unacknowledge(target),
      // The updates come back in sections whose pages we do not have: reload what is loaded.
      after: () => this.refresh('groups'),
      failure: 'Could not mark as pending again',
    });
    if (ok) {
      this.logSession(restored, 'unacknowledged', new Date().toISOString());
      toast.info(`Restored ${count.toLocaleString()} update${count === 1 ? '' : 's'}`);
    }
    return ok !== undefined;
  }

  /** Marks updates pending again; `quiet` when it is the undo of an acknowledge (no undo of the undo). */
  unacknowledge(ids: number[], opts: { quiet?: boolean } = {}): Promise<boolean> {
    return this.undoable(async () => {
      if (ids.length === 0) return false;
      const idSet = new Set(ids);
      const label = this.describe(ids);
      if (opts.quiet) this.stopLeaving(ids);
      else this.holdLeaving(ids, 'pending');
      const ok = await this.mutate({
        overlay: { test: (u) => idSet.has(u.id) && u.acknowledged_at !== null, apply: (u) => ({ ...u, acknowledged_at: null }) },
        run: async () => {
          if (ids.length === 1) return { one: await api.setAcknowledged(ids[0], false) };
          await api.unacknowledge({ ids });
          return {};
        },
        after: async (r) => {
          this.logSession(ids, 'unacknowledged', new Date().toISOString());
          // In the pending view these are not loaded any more: fetch them to put them back in place.
          if (r.one) this.merge([r.one], []);
          else if (ids.length <= MAX_SINGLE_FETCHES) {
            const fetched = await this.fetchByIds(ids);
            this.merge(
              fetched.filter((u): u is Update => u !== null),
              ids.filter((_, i) => fetched[i] === null),
            );
          } else return this.refresh('groups');
          await this.refreshSummaries();
        },
        failure: 'Could not mark as pending again',
      });
      if (ok && !opts.quiet) {
        this.doneWithUndo(`Marked ${label} pending`, () => this.acknowledge(ids, { quiet: true }));
      }
      if (ok && opts.quiet) toast.info(`Restored ${label}`);
      if (ok === undefined) this.stopLeaving(ids);
      return ok !== undefined;
    });
  }

  /**
   * Grouped by image, "acknowledge all hosts": every update of the image not
   * yet acknowledged, on every host, loaded or not, in one request. Undo puts
   * back exactly those (acknowledged at the instant the server answered).
   */
  acknowledgeImage(image: string, count: number): Promise<boolean> {
    return this.undoable(async () => {
      const now = new Date().toISOString();
      const inImage = (u: Update) => u.image === image && u.acknowledged_at === null;
      const before = loadedWhere(this.state.pages, inImage);
      this.holdLeavingImage(image);
      const result = await this.mutate({
        overlay: { test: inImage, apply: (u) => ({ ...u, acknowledged_at: now }) },
        run: () => api.acknowledge({ image }),
        after: async (r) => {
          this.merge([...before.values()].map((u) => ({ ...u, acknowledged_at: r.acknowledged_at })), []);
          this.logSession(before.keys(), 'acknowledged', r.acknowledged_at);
          await this.refreshSummaries();
        },
        failure: `Could not acknowledge ${imageLabel(image)}`,
      });
      if (result) {
        const n = result.acknowledged || count;
        this.doneWithUndo(`Acknowledged ${imageLabel(image)} on ${n.toLocaleString()} host${n === 1 ? '' : 's'}`, () =>
          this.undoAcknowledge({ acknowledged_at: result.acknowledged_at }, n),
        );
      } else this.releaseImage(image);
      return result !== undefined;
    });
  }

  /** An image row acknowledged as a whole stays in place (inert) for LEAVING_MS, then the list catches up. */
  private holdLeavingImage(image: string) {
    if (this.leavingMs === 0 || this.state.query?.by !== 'image') return;
    this.set({ leavingImages: new Set([...this.state.leavingImages, image]) });
    setTimeout(() => this.releaseImage(image, true), this.leavingMs);
  }

  private releaseImage(image: string, reload = false) {
    if (!this.state.leavingImages.has(image)) return;
    const leavingImages = new Set(this.state.leavingImages);
    leavingImages.delete(image);
    this.set({ leavingImages });
    if (reload) void this.reloadImages();
  }

  /**
   * "Not now": snoozes updates until an instant; they leave the pending list
   * and come back by themselves then. Undo puts back what each had before.
   */
  snooze(ids: number[], until: string, opts: { quiet?: boolean } = {}): Promise<boolean> {
    return this.undoable(async () => {
      if (ids.length === 0) return false;
      const idSet = new Set(ids);
      const label = this.describe(ids);
      const before = loadedWhere(this.state.pages, (u) => idSet.has(u.id) && u.acknowledged_at === null);
      const previous = new Map([...before.values()].map((u) => [u.id, u.snoozed_until ?? null] as const));
      if (opts.quiet) this.stopLeaving(ids);
      else this.holdLeaving(ids, 'snoozed');
      const r = await this.mutate({
        overlay: { test: (u) => idSet.has(u.id) && u.acknowledged_at === null, apply: (u) => ({ ...u, snoozed_until: until }) },
        run: () => api.snooze(until, { ids }),
        after: async (res) => {
          const missing = ids.filter((id) => !before.has(id));
          // In the snoozed view (an undo of an unsnooze) they are not loaded: fetch them to put them in place.
          if (missing.length > MAX_SINGLE_FETCHES) return this.refresh('groups');
          const fetched = missing.length ? await this.fetchByIds(missing) : [];
          this.merge(
            [...[...before.values()].map((u) => ({ ...u, snoozed_until: res.until })), ...fetched.filter((u): u is Update => u !== null)],
            missing.filter((_, i) => fetched[i] === null),
          );
          await this.refreshSummaries();
        },
        failure: ids.length === 1 ? 'Could not snooze the update' : 'Could not snooze the updates',
      });
      if (r && !opts.quiet) {
        // Updates not loaded here (a selection is always loaded) count as not snoozed before.
        for (const id of ids) if (!previous.has(id)) previous.set(id, null);
        this.doneWithUndo(`Snoozed ${label} until ${formatUntil(r.until)}`, () => this.restoreSnoozes(previous));
      }
      if (r && opts.quiet) toast.info(`Snoozed ${label} again`);
      if (!r) this.stopLeaving(ids);
      return r !== undefined;
    });
  }

  /** Grouped by image: snoozes the image on every host (its updates not acknowledged). Undo unsnoozes exactly those. */
  snoozeImage(image: string, until: string): Promise<boolean> {
    return this.undoable(async () => {
      const inImage = (u: Update) => u.image === image && u.acknowledged_at === null;
      const before = loadedWhere(this.state.pages, inImage);
      const r = await this.mutate({
        overlay: { test: inImage, apply: (u) => ({ ...u, snoozed_until: until }) },
        run: () => api.snooze(until, { image }),
        after: async (res) => {
          this.merge([...before.values()].map((u) => ({ ...u, snoozed_until: res.until })), []);
          await this.refreshSummaries();
        },
        failure: `Could not snooze ${imageLabel(image)}`,
      });
      if (r) {
        this.doneWithUndo(`Snoozed ${imageLabel(image)} on ${r.snoozed.toLocaleString()} host${r.snoozed === 1 ? '' : 's'} until ${formatUntil(r.until)}`, async () => {
          // The ones this snooze set: the image's snoozed updates with exactly this end.
          const ids: number[] = [];
          let cursor: string | null = null;
          do {
            const page: UpdatePage = await api.page({ image, state: 'snoozed', limit: 1000, cursor });
            for (const u of page.updates) if (u.snoozed_until && Date.parse(u.snoozed_until) === Date.parse(r.until)) ids.push(u.id);
            cursor = page.next_cursor;
          } while (cursor);
          return this.unsnooze(ids, { quiet: true });
        });
      }
      return r !== undefined;
    });
  }

  /** Ends snoozes now: the updates are pending again. Undo snoozes them again until their previous end. */
  unsnooze(ids: number[], opts: { quiet?: boolean } = {}): Promise<boolean> {
    return this.undoable(async () => {
      if (ids.length === 0) return false;
      const idSet = new Set(ids);
      const label = this.describe(ids);
      const before = loadedWhere(this.state.pages, (u) => idSet.has(u.id) && !!u.snoozed_until);
      const previous = new Map([...before.values()].map((u) => [u.id, u.snoozed_until ?? null] as const));
      if (opts.quiet) this.stopLeaving(ids);
      else this.holdLeaving(ids, 'pending');
      const r = await this.mutate({
        overlay: { test: (u) => idSet.has(u.id) && !!u.snoozed_until, apply: (u) => ({ ...u, snoozed_until: null }) },
        run: () => api.unsnooze(ids),
        after: async () => {
          if (before.size === ids.length) this.merge([...before.values()].map((u) => ({ ...u, snoozed_until: null })), []);
          else if (ids.length <= MAX_SINGLE_FETCHES) {
            const fetched = await this.fetchByIds(ids);
            this.merge(
              fetched.filter((u): u is Update => u !== null),
              ids.filter((_, i) => fetched[i] === null),
            );
          } else return this.refresh('groups');
          await this.refreshSummaries();
        },
        failure: ids.length === 1 ? 'Could not unsnooze the update' : 'Could not unsnooze the updates',
      });
      if (r && !opts.quiet && previous.size > 0) this.doneWithUndo(`Unsnoozed ${label}`, () => this.restoreSnoozes(previous));
      if (r && opts.quiet) toast.info(`Restored ${label}`);
      if (!r) this.stopLeaving(ids);
      return r !== undefined;
    });
  }

  /** Undo of a snooze or an unsnooze: each update back to its previous end (or none), one request per end. */
  private async restoreSnoozes(previous: ReadonlyMap<number, string | null>): Promise<boolean> {
    const byEnd = new Map<string | null, number[]>();
    const soon = Date.now() + 60_000;
    for (const [id, until] of previous) {
      // An end that has passed meanwhile: the update is simply pending.
      const end = until && Date.parse(until) > soon ? until : null;
      byEnd.set(end, [...(byEnd.get(end) ?? []), id]);
    }
    let ok = true;
    for (const [until, ids] of byEnd) ok = (until === null ? await this.unsnooze(ids, { quiet: true }) : await this.snooze(ids, until, { quiet: true })) && ok;
    return ok;
  }

  // ------------------------------------------------------------ mute rules

  /** Loads the mute rules (with how many updates each holds). */
  loadMuteRules = async (): Promise<MuteRule[] | null> => {
    try {
      const rules = await api.muteRules();
      this.set({ muteRules: rules });
      return rules;
    } catch (err) {
      if (this.state.muteRules === null) toast.error('Could not load the mute rules', errorMessage(err));
      return null;
    }
  };

  /**
   * Creates a mute rule: the updates it catches (not acknowledged, not muted
   * yet) leave the list at once and the server applies it. Undo deletes it.
   */
  createMuteRule(rule: NewMuteRule, opts: { quiet?: boolean } = {}): Promise<MuteRule | undefined> {
    return this.undoable(async () => {
      const caught = (u: Update) => u.acknowledged_at === null && (u.muted_by ?? null) === null && ruleMatches(rule, u);
      const ids = [...loadedWhere(this.state.pages, caught).keys()];
      if (!opts.quiet) this.holdLeaving(ids, 'muted');
      const created = await this.mutate({
        // The rule's id is not known yet: -1 stands for "being muted".
        overlay: { test: caught, apply: (u) => ({ ...u, muted_by: -1 }) },
        run: () => api.createMuteRule(rule),
        after: async (r) => {
          this.set({ muteRules: [...(this.state.muteRules ?? []).filter((x) => x.id !== r.id), r] });
          this.merge([...loadedWhere(this.state.pages, (u) => ids.includes(u.id)).values()].map((u) => ({ ...u, muted_by: r.id })), []);
          await this.refresh('groups');
        },
        failure: 'Could not create the mute rule',
      });
      if (!created) {
        this.stopLeaving(ids);
        return undefined;
      }
      const what = `${created.held.toLocaleString()} update${created.held === 1 ? '' : 's'}`;
      if (!opts.quiet) this.doneWithUndo(`Muted ${what} with ${created.pattern}`, () => this.deleteMuteRule(created, { quiet: true }));
      else toast.info(`Mute rule ${created.pattern} is back`);
      return created;
    });
  }

  /** Deletes a mute rule: its updates are unmuted (or held by another rule that matches them). Undo makes it again. */
  deleteMuteRule(rule: MuteRule, opts: { quiet?: boolean } = {}): Promise<boolean> {
    return this.undoable(async () => {
      const rulesBefore = this.state.muteRules;
      if (rulesBefore) this.set({ muteRules: rulesBefore.filter((r) => r.id !== rule.id) });
      const ids = [...loadedWhere(this.state.pages, (u) => u.muted_by === rule.id).keys()];
      if (!opts.quiet) this.holdLeaving(ids, 'pending');
      const ok = await this.mutate({
        overlay: { test: (u) => u.muted_by === rule.id, apply: (u) => ({ ...u, muted_by: null }) },
        run: async () => {
          try {
            await api.deleteMuteRule(rule.id);
          } catch (err) {
            // Deleted elsewhere meanwhile: what was asked for is done.
            if (!(err instanceof ApiError && err.status === 404)) throw err;
          }
          return true;
        },
        after: async () => {
          await this.refresh('groups');
          await this.loadMuteRules();
        },
        failure: 'Could not delete the mute rule',
      });
      if (!ok) {
        if (rulesBefore) this.set({ muteRules: rulesBefore });
        this.stopLeaving(ids);
        return false;
      }
      const { pattern, hostname, status, comment } = rule;
      if (!opts.quiet) this.doneWithUndo(`Deleted the mute rule ${pattern}`, async () => !!(await this.createMuteRule({ pattern, hostname, status, comment }, { quiet: true })));
      else toast.info(`Removed the mute rule ${pattern}`);
      return true;
    });
  }

  async deleteUpdate(id: number): Promise<boolean> {
    const label = this.describe([id]);
    const ok = await this.mutate({
      overlay: { test: (u) => u.id === id, apply: () => null },
      run: async () => {
        await api.deleteUpdate(id);
        return true;
      },
      after: async () => {
        this.merge([], [id]);
        await this.refreshSummaries();
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
    const tagsBefore = this.state.tags;
    this.set({ tags: tagsBefore.map((t) => (t.id === id ? { ...t, name: trimmed } : t)) });
    const ok = await this.mutate({
      overlay: { test: (u) => u.tag?.id === id && u.tag.name !== trimmed, apply: (u) => ({ ...u, tag: { id, name: trimmed } }) },
      run: async () => {
        await api.renameTag(id, trimmed);
        return true;
      },
      // Section names and order come from the summary.
      after: () => this.refresh('groups'),
      failure: 'Could not rename the tag',
    });
    if (ok) toast.success(`Renamed tag to ${trimmed}`);
    else this.set({ tags: tagsBefore });
    return ok === true;
  }

  async deleteTag(id: number): Promise<boolean> {
    const tagsBefore = this.state.tags;
    const name = tagsBefore.find((t) => t.id === id)?.name ?? 'tag';
    this.set({ tags: tagsBefore.filter((t) => t.id !== id) });
    const ok = await this.mutate({
      overlay: { test: (u) => u.tag?.id === id, apply: (u) => ({ ...u, tag: null }) },
      run: async () => {
        await api.deleteTag(id);
        return true;
      },
      after: () => this.refresh('groups'),
      failure: 'Could not delete the tag',
    });
    if (ok) toast.success(`Deleted tag ${name}`);
    else this.set({ tags: tagsBefore });
    return ok === true;
  }

  /**
   * Puts images (across all hosts) in a tag, or takes them out of their tag
   * with `tag = null`: one request per 1,000 images. Undo puts each image back
   * in the tag it had (as loaded on screen).
   */
  setImageTag(images: string[], tag: TagRef | null, opts: { quiet?: boolean } = {}): Promise<boolean> {
    return this.undoable(async () => {
      const set = new Set(images);
      if (set.size === 0) return false;
      const list = [...set];
      const ref = tag ? { id: tag.id, name: tag.name } : null;
      const previous = new Map<string, TagRef | null>();
      for (const u of loadedWhere(this.state.pages, (x) => set.has(x.image)).values()) previous.set(u.image, u.tag);
      const ok = await this.mutate({
        overlay: { test: (u) => set.has(u.image) && u.tag?.id !== ref?.id, apply: (u) => ({ ...u, tag: ref }) },
        run: async () => {
          if (list.length === 1) {
            if (ref) await api.assignTag(list[0], ref.id);
            else await api.unassignTag(list[0]);
            return true;
          }
          for (let i = 0; i < list.length; i += MAX_BULK_IMAGES) {
            const chunk = list.slice(i, i + MAX_BULK_IMAGES);
            if (ref) await api.assignTagMany(chunk, ref.id);
            else await api.unassignTagMany(chunk);
          }
          return true;
        },
        // Other hosts' updates of these images move too, and section counts change.
        after: () => this.refresh('groups'),
        failure: tag ? `Could not move to ${tag.name}` : 'Could not remove the tag',
      });
      const what = list.length === 1 ? imageLabel(list[0]) : `${list.length} images`;
      if (ok && !opts.quiet) {
        this.doneWithUndo(tag ? `Moved ${what} to ${tag.name}` : `Removed the tag from ${what}`, () => this.restoreTags(previous));
      }
      if (ok && opts.quiet) toast.info(`Moved ${what} back`);
      return ok === true;
    });
  }

  /** Undo of a tag move: each image back in its previous tag, one request per tag. */
  private async restoreTags(previous: ReadonlyMap<string, TagRef | null>): Promise<boolean> {
    const byTag = new Map<number | null, { tag: TagRef | null; images: string[] }>();
    for (const [image, tag] of previous) {
      const key = tag?.id ?? null;
      const entry = byTag.get(key) ?? { tag, images: [] };
      entry.images.push(image);
      byTag.set(key, entry);
    }
    let ok = true;
    for (const { tag, images } of byTag.values()) ok = (await this.setImageTag(images, tag, { quiet: true })) && ok;
    return ok;
  }
}

/** Shown under every toast that has an Undo button. */
export const UNDO_HINT = 'Press U to undo';

export type { AckTarget };

export const store = new DashboardStore();
