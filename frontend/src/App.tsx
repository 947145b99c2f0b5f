import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { AlarmClock, BellOff, CircleAlert, PartyPopper, RotateCw, SearchX } from 'lucide-react';
import { BulkBar } from './components/BulkBar';
import { ListCtx, type ActionSource, type Actions, type ListContext } from './components/context';
import { useDialogs } from './components/dialogs';
import { Dialog } from './components/Dialog';
import { DiunSetup, TestNotice } from './components/DiunSetup';
import { DragTray } from './components/DragTray';
import { Header } from './components/Header';
import { HistoryDrawer } from './components/HistoryDrawer';
import { MuteRuleDialog, MuteRulesManager } from './components/MuteRules';
import { SnoozeDialog } from './components/SnoozeDialog';
import { StatTiles } from './components/StatTiles';
import { TagManager, validateTagName } from './components/TagManager';
import { Toaster } from './components/Toaster';
import { Toolbar } from './components/Toolbar';
import { UpdateList } from './components/UpdateList';
import { ROW_ACTION } from './components/UpdateRow';
import { imageLabel, store } from './data/store';
import { useTheme } from './data/theme';
import { useLiveRefresh } from './data/useLiveRefresh';
import { useNow } from './data/useNow';
import { useView } from './data/useView';
import { listQueryOf } from './data/listQuery';
import { createClickGuard } from './lib/clickGuard';
import { statsOf, type Stats } from './lib/filter';
import { withoutTestNotifications } from './lib/testNotifications';
import { isTestNotification } from './lib/imageRef';
import { groupsOf, imageGroupsOf, imageOfKey, type Group, type LoadedGroup } from './lib/grouping';
import type { MuteRule, NewMuteRule, Tag, Update } from './lib/types';
import { hasActiveFilters, type StatusFilter } from './lib/viewState';

const COLLAPSED_KEY = 'diun-dashboard.collapsed';

/** Group and bulk actions on more updates (or images) than this ask first. */
export const CONFIRM_ABOVE = 20;

const UNFILTERED = { q: '', tag: null, host: null } as const;

/** Whether a key press is typing (into a text field or a select), not a shortcut. A checkbox is not typing. */
function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t?.closest('input:not([type="checkbox"]):not([type="radio"]):not([type="button"]), textarea, select, [contenteditable="true"]');
}

/** A modal that is not the history drawer (confirmations, prompts, the tag manager): shortcuts stay out of it. */
function modalOpen(): boolean {
  return !!document.querySelector('dialog[open]:not([data-testid="history-drawer"])') || !!document.querySelector('[role="menu"]');
}

/** Focus, visibility, polling, stream opened: one If-None-Match check (304: nothing to do). */
const revalidate = () => void store.refresh('revalidate');

function loadCollapsed(): Set<string> {
  try {
    const v = JSON.parse(localStorage.getItem(COLLAPSED_KEY) ?? '[]') as unknown;
    return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

export function App() {
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [view, setView] = useView();
  const [theme, setTheme] = useTheme();
  const live = useLiveRefresh(store.sync, revalidate);
  const now = useNow();
  const dialogs = useDialogs();

  const [selected, setSelected] = useState<ReadonlySet<number>>(() => new Set());
  const anchor = useRef<number | null>(null);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(loadCollapsed);
  const [dragging, setDragging] = useState<string[] | null>(null);
  const [tagManagerOpen, setTagManagerOpen] = useState(false);
  const [connectOpen, setConnectOpen] = useState(false);
  /** Grouped by image, the images expanded (they start collapsed: each one costs a request). */
  const [expandedImages, setExpandedImages] = useState<ReadonlySet<string>>(() => new Set());
  /** "Until a date…" asked for these updates, or this image on every host. */
  const [snoozeFor, setSnoozeFor] = useState<{ ids: number[]; image?: string; what: string } | null>(null);
  /** "Mute updates like this…" opened from this update. */
  const [muteFrom, setMuteFrom] = useState<Update | null>(null);
  const [muteRulesOpen, setMuteRulesOpen] = useState(false);
  /** Said to screen readers (a polite live region): what a shortcut did. */
  const [announcement, setAnnouncement] = useState('');
  const announce = useCallback((text: string) => {
    // The same sentence twice must be read twice: clear, then set.
    setAnnouncement('');
    requestAnimationFrame(() => setAnnouncement(text));
  }, []);
  /** One guard for every action that changes data: a repeated click within 600 ms does nothing. */
  const guard = useMemo(() => createClickGuard(), []);

  // Collapsed sections load nothing: the store asks before loading a section.
  const collapsed$ = useRef(collapsed);
  collapsed$.current = collapsed;
  const expandedImages$ = useRef(expandedImages);
  expandedImages$.current = expandedImages;
  useEffect(() => store.setExpanded((key) => (imageOfKey(key) !== null ? expandedImages$.current.has(key) : !collapsed$.current.has(key))), []);

  // The server filters: every change of the view's filters asks it (the search box debounces).
  const { status, q, tag, host, by } = view;
  const query = useMemo(() => listQueryOf({ status, q, tag, host, by }), [status, q, tag, host, by]);
  useEffect(() => {
    void store.show(query);
  }, [query]);

  useEffect(() => {
    try {
      localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...collapsed]));
    } catch {
      // ignore
    }
  }, [collapsed]);

  const { tags, testNotifications: tests } = state;
  // Diun's test notifications are shown as "connection works", not as updates: out of the counts and the list.
  const totals = useMemo(() => state.totals && withoutTestNotifications(state.totals, tests, UNFILTERED), [state.totals, tests]);
  const summary = useMemo(
    () => (state.summary === state.totals ? totals : state.summary && withoutTestNotifications(state.summary, tests, state.query ?? UNFILTERED)),
    [state.summary, state.totals, state.query, totals, tests],
  );
  const pages = useMemo(() => {
    if (tests.length === 0) return state.pages;
    const testIds = new Set(tests.map((u) => u.id));
    const out = new Map<string, LoadedGroup>();
    for (const [key, g] of state.pages) out.set(key, g.updates.some((u) => testIds.has(u.id)) ? { ...g, updates: g.updates.filter((u) => !testIds.has(u.id)) } : g);
    return out;
  }, [state.pages, tests]);
  // Everything below describes the data as loaded, for the query it was loaded for.
  const shownStatus = state.query?.status ?? view.status;
  const stats = useMemo<Stats>(() => statsOf(totals), [totals]);
  const hosts = useMemo(() => (totals ? totals.hosts.map((h) => h.hostname) : []), [totals]);
  const counts = useMemo<Record<StatusFilter, number>>(
    () => ({ pending: summary?.pending ?? 0, snoozed: summary?.snoozed ?? 0, muted: summary?.muted ?? 0, acknowledged: summary?.acknowledged ?? 0, all: summary?.total ?? 0 }),
    [summary],
  );
  const byImage = state.query?.by === 'image' && state.images !== null;
  const groups = useMemo(
    () =>
      byImage && state.images
        ? imageGroupsOf(
            state.images.images.filter((img) => !isTestNotification(img.image)),
            shownStatus,
            pages,
          )
        : summary
          ? groupsOf(summary, shownStatus, pages)
          : [],
    [byImage, state.images, summary, shownStatus, pages],
  );
  // Sections not shown open: the collapsed tags, and every image not expanded.
  const closed = useMemo<ReadonlySet<string>>(() => {
    if (!byImage) return collapsed;
    return new Set([...collapsed, ...groups.filter((g) => !expandedImages.has(g.key)).map((g) => g.key)]);
  }, [byImage, collapsed, groups, expandedImages]);
  const shownCount = counts[shownStatus];
  // Every row on screen, in order: where focus goes after an acknowledge.
  const rowOrder = useMemo(() => groups.flatMap((g) => (closed.has(g.key) ? [] : g.updates.map((u) => u.id))), [groups, closed]);

  // Display order of the selectable (not acknowledged, loaded, expanded) updates, for shift-click ranges.
  const orderedPending = useMemo(() => groups.flatMap((g) => (closed.has(g.key) ? [] : g.updates.filter((u) => u.acknowledged_at === null).map((u) => u.id))), [groups, closed]);
  const effectiveSelection = useMemo(() => {
    const visible = new Set(orderedPending);
    return [...selected].filter((id) => visible.has(id));
  }, [selected, orderedPending]);
  const byId = useMemo(() => {
    const m = new Map<number, Update>();
    for (const g of pages.values()) for (const u of g.updates) m.set(u.id, u);
    return m;
  }, [pages]);
  const selectedSnoozed = useMemo(() => effectiveSelection.filter((id) => !!byId.get(id)?.snoozed_until), [effectiveSelection, byId]);
  const selectedImages = useMemo(() => [...new Set(effectiveSelection.map((id) => byId.get(id)?.image).filter((x): x is string => !!x))], [effectiveSelection, byId]);

  useEffect(() => {
    document.documentElement.classList.toggle('is-dragging', dragging !== null);
    if (dragging === null) return;
    // A drag ends with a drop or dragend on the dragged card, but when the card left the DOM
    // meanwhile (scrolled out of the virtual list, moved) its dragend never comes: any of these ends it.
    const end = () => setDragging(null);
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && end();
    const events = ['drop', 'dragend', 'mousemove', 'pointerdown', 'blur'] as const;
    // Deferred, so the drop handlers that move the images run first.
    const later = () => setTimeout(end, 0);
    for (const ev of events) window.addEventListener(ev, later, true);
    window.addEventListener('keydown', onKey, true);
    return () => {
      for (const ev of events) window.removeEventListener(ev, later, true);
      window.removeEventListener('keydown', onKey, true);
    };
  }, [dragging]);

  // Room below the list for the bulk bar, so it never covers the last rows (and focus scrolls clear of it).
  const hasSelection = effectiveSelection.length > 0;
  useEffect(() => {
    document.documentElement.classList.toggle('has-bulkbar', hasSelection);
  }, [hasSelection]);

  const pendingTitle = stats.pending > 0 ? `(${stats.pending}) Diun Dashboard` : 'Diun Dashboard';
  useEffect(() => {
    document.title = pendingTitle;
  }, [pendingTitle]);

  const clearSelection = useCallback(() => {
    setSelected(new Set());
    anchor.current = null;
  }, []);

  // Keyboard shortcuts: U or Ctrl+Z undoes the last change, B goes to the bulk bar, Esc clears the selection.
  const selectionSize$ = useRef(0);
  selectionSize$.current = effectiveSelection.length;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || isTyping(e)) return;
      const key = e.key.toLowerCase();
      if (e.key === 'Escape') {
        if (document.querySelector('dialog[open]') || document.querySelector('[role="menu"]') || selectionSize$.current === 0) return;
        clearSelection();
        announce('Selection cleared');
        return;
      }
      if (modalOpen()) return;
      const undoKey = (key === 'u' && !e.ctrlKey && !e.metaKey && !e.shiftKey) || (key === 'z' && (e.ctrlKey || e.metaKey) && !e.shiftKey);
      if (undoKey) {
        e.preventDefault();
        void store.undo().then((label) => announce(label ? `Undone: ${label}` : 'Nothing to undo'));
        return;
      }
      // S: "not now" for the row (or image) that has the focus: opens its snooze menu.
      if (key === 's' && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
        const from = document.activeElement?.closest('[data-update-id], [data-testid="image-header"]');
        const trigger = from?.querySelector<HTMLButtonElement>('[data-testid="snooze-menu"], [data-testid="image-snooze-menu"]');
        if (trigger) {
          e.preventDefault();
          trigger.click();
        }
        return;
      }
      if (key === 'b' && !e.ctrlKey && !e.metaKey && selectionSize$.current > 0) {
        e.preventDefault();
        document.querySelector<HTMLElement>('[data-testid="bulk-bar"] button')?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [clearSelection, announce]);

  // Refs so the actions object stays stable (rows are memoised).
  const live$ = useRef({ orderedPending, effectiveSelection, selectedImages, tags, byId, dialogs, rowOrder });
  live$.current = { orderedPending, effectiveSelection, selectedImages, tags, byId, dialogs, rowOrder };

  const actions = useMemo<Actions>(() => {
    /**
     * After a row's action, focus goes to the next row's action (the previous
     * one at the end of the list), never to <body>: keyboard triage goes on.
     */
    const focusNext = (done: number[], source?: ActionSource) => {
      if (source?.row === undefined) return;
      const order = live$.current.rowOrder;
      const skip = new Set([...done, ...store.getSnapshot().leaving]);
      const i = order.indexOf(source.row);
      if (i < 0) return;
      const target = order.slice(i + 1).find((id) => !skip.has(id)) ?? order.slice(0, i).reverse().find((id) => !skip.has(id));
      requestAnimationFrame(() => {
        const el = target === undefined ? null : document.querySelector<HTMLElement>(`[data-update-id="${target}"] [${ROW_ACTION}]`);
        if (el) el.focus({ preventScroll: false });
        else document.getElementById('main')?.focus();
      });
    };
    const unselect = (ids: number[]) =>
      setSelected((s) => {
        if (!ids.some((id) => s.has(id))) return s;
        const n = new Set(s);
        ids.forEach((id) => n.delete(id));
        return n;
      });
    const a: Actions = {
      acknowledge: (ids, source) => {
        if (!guard.allow(source?.at ?? null)) return;
        void store.acknowledge(ids);
        unselect(ids);
        focusNext(ids, source);
      },
      unacknowledge: (ids, source) => {
        if (!guard.allow(source?.at ?? null)) return;
        void store.unacknowledge(ids);
        focusNext(ids, source);
      },
      snoozeSelection: (until) => {
        const ids = live$.current.effectiveSelection;
        if (ids.length === 0) return;
        void store.snooze(ids, until);
        unselect(ids);
        document.getElementById('main')?.focus({ preventScroll: true });
      },
      acknowledgeSelection: async (source) => {
        if (!guard.allow(source.at)) return;
        const ids = live$.current.effectiveSelection;
        if (ids.length === 0) return;
        if (ids.length > CONFIRM_ABOVE) {
          const ok = await live$.current.dialogs.confirm({
            title: `Acknowledge ${ids.length.toLocaleString()} updates?`,
            body: <p>The {ids.length.toLocaleString()} selected updates leave the pending list. You can undo it right after (U or Ctrl+Z).</p>,
            confirmLabel: `Acknowledge ${ids.length.toLocaleString()}`,
          });
          if (!ok) return;
        }
        void store.acknowledge(ids);
        unselect(ids);
        // The bulk bar goes away with the selection: focus stays in the list.
        document.getElementById('main')?.focus({ preventScroll: true });
      },
      remove: async (u: Update) => {
        const ok = await live$.current.dialogs.confirm({
          title: 'Delete this update?',
          body: (
            <>
              <p>
                <strong className="break">{imageLabel(u.image)}</strong> on <strong>{u.hostname}</strong> and its history of {u.event_count} notification
                {u.event_count === 1 ? '' : 's'} will be removed.
              </p>
              <p className="muted">If Diun reports this image again, it comes back as a new entry.</p>
            </>
          ),
          confirmLabel: 'Delete',
          danger: true,
        });
        if (ok) void store.deleteUpdate(u.id);
      },
      openHistory: (id) => setView({ history: id }, 'push'),
      moveToTag: async (images, tag) => {
        if (images.length > CONFIRM_ABOVE) {
          const ok = await live$.current.dialogs.confirm({
            title: tag ? `Move ${images.length.toLocaleString()} images to ${tag.name}?` : `Remove the tag from ${images.length.toLocaleString()} images?`,
            body: <p>Their updates on every host move with them. You can undo it right after (U or Ctrl+Z).</p>,
            confirmLabel: tag ? `Move ${images.length.toLocaleString()}` : `Remove from ${images.length.toLocaleString()}`,
          });
          if (!ok) return;
        }
        void store.setImageTag(images, tag);
      },
      newTagFor: async (images) => {
        const name = await live$.current.dialogs.prompt({
          title: 'New tag',
          description: images.length === 1 ? `Create a tag and move ${imageLabel(images[0])} into it.` : `Create a tag and move ${images.length} images into it.`,
          label: 'Name',
          placeholder: 'e.g. media',
          confirmLabel: 'Create and move',
          validate: (v) => validateTagName(v, live$.current.tags),
        });
        if (!name) return;
        const tag = await store.createTag(name);
        if (tag) await store.setImageTag(images, { id: tag.id, name: tag.name });
      },
      toggleSelect: (id, shift) => {
        const order = live$.current.orderedPending;
        const from = anchor.current;
        anchor.current = id;
        setSelected((prev) => {
          const next = new Set(prev);
          if (shift && from !== null && from !== id && order.includes(from)) {
            const i = order.indexOf(from);
            const j = order.indexOf(id);
            const [lo, hi] = i < j ? [i, j] : [j, i];
            const value = prev.has(from);
            for (let k = lo; k <= hi; k++) {
              if (value) next.add(order[k]);
              else next.delete(order[k]);
            }
          } else if (next.has(id)) next.delete(id);
          else next.add(id);
          return next;
        });
      },
      toggleGroup: (key) => {
        const flip = (prev: ReadonlySet<string>) => {
          const n = new Set(prev);
          if (n.has(key)) n.delete(key);
          else n.add(key);
          return n;
        };
        if (imageOfKey(key) !== null) setExpandedImages(flip);
        else setCollapsed(flip);
      },
      acknowledgeImage: async (g: Group, source) => {
        if (!guard.allow(source.at) || !g.image) return;
        const n = g.image.pending + g.image.snoozed + g.image.muted;
        if (n > CONFIRM_ABOVE) {
          const ok = await live$.current.dialogs.confirm({
            title: `Acknowledge ${imageLabel(g.image.image)} on ${n.toLocaleString()} hosts?`,
            body: <p>Every update of this image not yet acknowledged, on every host. You can undo it right after (U or Ctrl+Z).</p>,
            confirmLabel: `Acknowledge ${n.toLocaleString()}`,
          });
          if (!ok) return;
        }
        void store.acknowledgeImage(g.image.image, n);
        const inImage = new Set(g.updates.map((u) => u.id));
        setSelected((s) => ([...s].some((id) => inImage.has(id)) ? new Set([...s].filter((id) => !inImage.has(id))) : s));
      },
      snooze: (ids, until, source) => {
        if (!guard.allow(source?.at ?? null)) return;
        void store.snooze(ids, until);
        unselect(ids);
        focusNext(ids, source);
      },
      unsnooze: (ids, source) => {
        if (!guard.allow(source?.at ?? null)) return;
        void store.unsnooze(ids);
        unselect(ids);
        focusNext(ids, source);
      },
      snoozeImage: (image, until) => void store.snoozeImage(image, until),
      pickSnoozeDate: (ids, image) => {
        const one = ids.length === 1 ? live$.current.byId.get(ids[0]) : undefined;
        const what = image ? `${imageLabel(image)} (every host)` : one ? `${imageLabel(one.image)} on ${one.hostname}` : `${ids.length.toLocaleString()} updates`;
        setSnoozeFor({ ids, image, what });
      },
      muteLike: (u) => setMuteFrom(u),
      acknowledgeGroup: async (g: Group, source) => {
        if (!guard.allow(source.at)) return;
        if (g.pendingCount > CONFIRM_ABOVE) {
          const name = g.tag?.name ?? 'Untagged';
          const ok = await live$.current.dialogs.confirm({
            title: `Acknowledge ${g.pendingCount.toLocaleString()} updates in ${name}?`,
            body: <p>Every pending update of {name} that matches the current search and host, loaded or not. You can undo it right after (U or Ctrl+Z).</p>,
            confirmLabel: `Acknowledge ${g.pendingCount.toLocaleString()}`,
          });
          if (!ok) return;
        }
        void store.acknowledgeGroup(g.key, g.tag, g.pendingCount);
        // The selected cards of that section are acknowledged with it.
        const inGroup = new Set(g.updates.map((u) => u.id));
        setSelected((s) => ([...s].some((id) => inGroup.has(id)) ? new Set([...s].filter((id) => !inGroup.has(id))) : s));
      },
      loadMore: (key) => void store.loadMore(key),
      setDragging: (images) => setDragging(images),
      dragImagesFor: (u) => {
        const { effectiveSelection: sel, selectedImages: imgs } = live$.current;
        return sel.includes(u.id) ? imgs : [u.image];
      },
    };
    return a;
  }, [setView, guard]);

  const { leaving, arrivals, leavingImages, muteRules } = state;
  const rules = useMemo(() => new Map<number, MuteRule>((muteRules ?? []).map((r) => [r.id, r])), [muteRules]);
  const listContext = useMemo<ListContext>(
    () => ({ actions, tags, selected, now, leaving, arrivals, rules, leavingImages }),
    [actions, tags, selected, now, leaving, arrivals, rules, leavingImages],
  );

  // A muted row names its rule: the (small) list of rules is loaded once one shows.
  const needRules = muteRulesOpen || muteFrom !== null || shownStatus === 'muted' || (shownStatus === 'all' && (summary?.muted ?? 0) > 0);
  useEffect(() => {
    if (needRules && muteRules === null && state.phase === 'ready') void store.loadMuteRules();
  }, [needRules, muteRules, state.phase]);

  const createMuteRule = async (rule: NewMuteRule) => !!(await store.createMuteRule(rule));
  const deleteMuteRule = async (r: MuteRule) => {
    if (r.held > CONFIRM_ABOVE) {
      const ok = await dialogs.confirm({
        title: `Delete the mute rule ${r.pattern}?`,
        body: <p>Its {r.held.toLocaleString()} updates come back to the pending list (unless another rule holds them). You can undo it right after (U or Ctrl+Z).</p>,
        confirmLabel: 'Delete rule',
        danger: true,
      });
      if (!ok) return;
    }
    void store.deleteMuteRule(r);
  };

  const renameTag = async (t: Tag) => {
    const name = await dialogs.prompt({
      title: 'Rename tag',
      label: 'Name',
      initial: t.name,
      confirmLabel: 'Rename',
      validate: (v) => validateTagName(v, tags, t.id),
    });
    if (name && name !== t.name) await store.renameTag(t.id, name);
  };
  const deleteTag = async (t: Tag) => {
    const ok = await dialogs.confirm({
      title: `Delete the tag “${t.name}”?`,
      body: (
        <p>
          {t.image_count === 0 ? 'No image is in this tag.' : `${t.image_count} image${t.image_count === 1 ? '' : 's'} will lose this tag and move to Untagged.`} Updates themselves are kept.
        </p>
      ),
      confirmLabel: 'Delete tag',
      danger: true,
    });
    if (ok) {
      await store.deleteTag(t.id);
      if (view.tag === t.id) setView({ tag: null });
    }
  };

  const historyUpdate = view.history !== null ? byId.get(view.history) : undefined;
  const filtersActive = hasActiveFilters(view);

  let content: React.ReactNode;
  if (state.phase === 'loading') {
    content = <Skeleton />;
  } else if (!totals) {
    content = (
      <div className="panel state-panel" role="alert">
        <CircleAlert size={28} className="state-icon state-icon-danger" aria-hidden />
        <h2 className="state-title">Can't load updates</h2>
        <p className="muted">{state.loadError}</p>
        <button type="button" className="btn btn-primary" onClick={() => void store.refresh()}>
          <RotateCw size={15} aria-hidden /> Try again
        </button>
      </div>
    );
  } else if (totals.total === 0) {
    content = (
      <section className="panel empty" data-testid="empty-state" aria-labelledby="empty-title">
        <div className="empty-head">
          <div className="empty-illustration" aria-hidden>
            <span />
            <span />
            <span />
          </div>
          <h2 id="empty-title" className="state-title">
            Waiting for Diun's first notification
          </h2>
          <p className="muted">Point Diun's webhook notifier at this dashboard. New image versions show up here the moment Diun finds them.</p>
        </div>
        <TestNotice tests={tests} now={now} onDismiss={(id) => void store.dismissTestNotification(id)} />
        <DiunSetup info={state.info} />
      </section>
    );
  } else {
    content = (
      <>
        <TestNotice tests={tests} now={now} onDismiss={(id) => void store.dismissTestNotification(id)} />
        <StatTiles stats={stats} now={now} status={view.status} onStatus={(status) => setView({ status })} />
        <Toolbar view={view} setView={setView} tags={tags} hosts={hosts} counts={counts} onManageTags={() => setTagManagerOpen(true)} onManageMuteRules={() => setMuteRulesOpen(true)} />
        {shownCount === 0 ? (
          shownStatus === 'snoozed' && !filtersActive ? (
            <div className="panel state-panel" data-testid="nothing-snoozed">
              <AlarmClock size={28} className="state-icon" aria-hidden />
              <h2 className="state-title">Nothing snoozed</h2>
              <p className="muted">“Not now” on an update (its alarm-clock button) hides it until a date; it comes back by itself, or at once when Diun reports a newer image.</p>
            </div>
          ) : shownStatus === 'muted' && !filtersActive ? (
            <div className="panel state-panel" data-testid="nothing-muted">
              <BellOff size={28} className="state-icon" aria-hidden />
              <h2 className="state-title">Nothing muted</h2>
              <p className="muted">A mute rule keeps matching images out of the pending list, now and later. Make one from an update's menu.</p>
              <button type="button" className="btn btn-secondary" onClick={() => setMuteRulesOpen(true)}>
                Mute rules
              </button>
            </div>
          ) : shownStatus === 'pending' && !filtersActive ? (
            <div className="panel state-panel" data-testid="all-caught-up">
              <PartyPopper size={28} className="state-icon state-icon-success" aria-hidden />
              <h2 className="state-title">All caught up</h2>
              <p className="muted">
                {counts.snoozed + counts.muted === 0
                  ? 'Every update has been acknowledged.'
                  : `Nothing is waiting: ${counts.snoozed.toLocaleString()} snoozed (they come back by themselves), ${counts.muted.toLocaleString()} muted.`}{' '}
                New ones appear here as Diun reports them.
              </p>
              <div className="state-actions">
                {counts.snoozed > 0 && (
                  <button type="button" className="btn btn-secondary" onClick={() => setView({ status: 'snoozed' })}>
                    Show snoozed
                  </button>
                )}
                <button type="button" className="btn btn-secondary" onClick={() => setView({ status: 'acknowledged' })}>
                  Show acknowledged
                </button>
              </div>
            </div>
          ) : (
            <div className="panel state-panel" data-testid="no-match">
              <SearchX size={28} className="state-icon" aria-hidden />
              <h2 className="state-title">No updates match</h2>
              <p className="muted">Nothing {shownStatus === 'all' ? '' : `${shownStatus} `}matches these filters.</p>
              <button type="button" className="btn btn-secondary" onClick={() => setView({ q: '', tag: null, host: null })}>
                Clear filters
              </button>
            </div>
          )
        ) : (
          <ListCtx.Provider value={listContext}>
            <BulkBar ids={effectiveSelection} images={selectedImages} snoozed={selectedSnoozed} tags={tags} actions={actions} onClear={clearSelection} />
            <p className="sr-only" aria-live="polite">
              {shownCount.toLocaleString()} update{shownCount === 1 ? '' : 's'} match
            </p>
            <UpdateList
              groups={groups}
              collapsed={closed}
              showGroupAck={shownStatus === 'pending' || shownStatus === 'all'}
              status={shownStatus}
              images={byImage && state.images ? { more: state.images.cursor !== null, loading: state.images.loading, error: state.images.error } : undefined}
            />
          </ListCtx.Provider>
        )}
      </>
    );
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to updates
      </a>
      <Toaster />
      <p className="sr-only" role="status" data-testid="announcer">
        {announcement}
      </p>
      <Header version={state.info?.version ?? null} live={live} loadedAt={state.loadedAt} now={now} theme={theme} onTheme={setTheme} onConnect={() => setConnectOpen(true)} />
      <main id="main" className="main" tabIndex={-1}>
        {state.phase === 'ready' && state.loadError && (
          <div className="banner" role="status">
            <CircleAlert size={15} aria-hidden /> Couldn't refresh: {state.loadError} Showing the last data received.
          </div>
        )}
        {content}
      </main>
      {dragging && <DragTray count={dragging.length} tags={tags} onDrop={(images, tag) => actions.moveToTag(images, tag)} />}
      {view.history !== null && (
        <HistoryDrawer
          id={view.history}
          update={historyUpdate}
          now={now}
          onClose={() => setView({ history: null })}
          actions={actions}
          tags={tags}
          session={store.sessionChanges(view.history)}
        />
      )}
      {tagManagerOpen && (
        <TagManager
          tags={tags}
          onClose={() => setTagManagerOpen(false)}
          onCreate={(name) => store.createTag(name)}
          onRename={renameTag}
          onDelete={deleteTag}
        />
      )}
      {snoozeFor && (
        <SnoozeDialog
          what={snoozeFor.what}
          onClose={() => setSnoozeFor(null)}
          onSnooze={(until) => {
            const { ids, image } = snoozeFor;
            setSnoozeFor(null);
            if (image) void store.snoozeImage(image, until);
            else {
              void store.snooze(ids, until);
              setSelected((s) => (ids.some((id) => s.has(id)) ? new Set([...s].filter((id) => !ids.includes(id))) : s));
            }
          }}
        />
      )}
      {muteFrom && <MuteRuleDialog from={muteFrom} hosts={hosts} onClose={() => setMuteFrom(null)} onCreate={createMuteRule} />}
      {muteRulesOpen && <MuteRulesManager rules={muteRules} hosts={hosts} now={now} onClose={() => setMuteRulesOpen(false)} onCreate={createMuteRule} onDelete={deleteMuteRule} />}
      {connectOpen && (
        <Dialog open onClose={() => setConnectOpen(false)} title="Connect Diun" description="Send Diun's notifications to this dashboard." size="lg" testId="connect-dialog">
          <DiunSetup info={state.info} />
        </Dialog>
      )}
    </>
  );
}

function Skeleton() {
  return (
    <div aria-busy="true" aria-label="Loading updates" className="skeleton-wrap">
      <div className="tiles">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="tile skeleton-tile">
            <span className="sk sk-line" style={{ width: '40%' }} />
            <span className="sk sk-big" />
          </div>
        ))}
      </div>
      <div className="sk-list">
        {Array.from({ length: 6 }, (_, i) => (
          <div key={i} className="sk-row">
            <span className="sk sk-avatar" />
            <span className="sk-lines">
              <span className="sk sk-line" style={{ width: `${30 + ((i * 17) % 30)}%` }} />
              <span className="sk sk-line" style={{ width: `${50 + ((i * 11) % 30)}%` }} />
            </span>
          </div>
        ))}
      </div>
    </div>
  );
}
