import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { CircleAlert, PartyPopper, RotateCw, SearchX } from 'lucide-react';
import { BulkBar } from './components/BulkBar';
import { ListCtx, type Actions, type ListContext } from './components/context';
import { useDialogs } from './components/dialogs';
import { Dialog } from './components/Dialog';
import { DiunSetup } from './components/DiunSetup';
import { DragTray } from './components/DragTray';
import { Header } from './components/Header';
import { HistoryDrawer } from './components/HistoryDrawer';
import { StatTiles } from './components/StatTiles';
import { TagManager, validateTagName } from './components/TagManager';
import { Toaster } from './components/Toaster';
import { Toolbar } from './components/Toolbar';
import { UpdateList } from './components/UpdateList';
import { imageLabel, store } from './data/store';
import { useTheme } from './data/theme';
import { useLiveRefresh } from './data/useLiveRefresh';
import { useNow } from './data/useNow';
import { useView } from './data/useView';
import { listQueryOf } from './data/listQuery';
import { statsOf, type Stats } from './lib/filter';
import { groupsOf, type Group } from './lib/grouping';
import type { Tag, Update } from './lib/types';
import { hasActiveFilters, type StatusFilter } from './lib/viewState';

const COLLAPSED_KEY = 'diun-dashboard.collapsed';

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

  // Collapsed sections load nothing: the store asks before loading a section.
  const collapsed$ = useRef(collapsed);
  collapsed$.current = collapsed;
  useEffect(() => store.setExpanded((key) => !collapsed$.current.has(key)), []);

  // The server filters: every change of the view's filters asks it (the search box debounces).
  const { status, q, tag, host } = view;
  const query = useMemo(() => listQueryOf({ status, q, tag, host }), [status, q, tag, host]);
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

  const { tags, totals, summary, pages } = state;
  // Everything below describes the data as loaded, for the query it was loaded for.
  const shownStatus = state.query?.status ?? view.status;
  const stats = useMemo<Stats>(() => statsOf(totals), [totals]);
  const hosts = useMemo(() => (totals ? totals.hosts.map((h) => h.hostname) : []), [totals]);
  const counts = useMemo<Record<StatusFilter, number>>(
    () => ({ pending: summary?.pending ?? 0, acknowledged: summary?.acknowledged ?? 0, all: summary?.total ?? 0 }),
    [summary],
  );
  const groups = useMemo(() => (summary ? groupsOf(summary, shownStatus, pages) : []), [summary, shownStatus, pages]);
  const shownCount = counts[shownStatus];

  // Display order of the selectable (pending, loaded, expanded) updates, for shift-click ranges.
  const orderedPending = useMemo(() => groups.flatMap((g) => (collapsed.has(g.key) ? [] : g.updates.filter((u) => u.acknowledged_at === null).map((u) => u.id))), [groups, collapsed]);
  const effectiveSelection = useMemo(() => {
    const visible = new Set(orderedPending);
    return [...selected].filter((id) => visible.has(id));
  }, [selected, orderedPending]);
  const byId = useMemo(() => {
    const m = new Map<number, Update>();
    for (const g of pages.values()) for (const u of g.updates) m.set(u.id, u);
    return m;
  }, [pages]);
  const selectedImages = useMemo(() => [...new Set(effectiveSelection.map((id) => byId.get(id)?.image).filter((x): x is string => !!x))], [effectiveSelection, byId]);

  useEffect(() => {
    document.documentElement.classList.toggle('is-dragging', dragging !== null);
  }, [dragging]);

  const pendingTitle = stats.pending > 0 ? `(${stats.pending}) Diun Dashboard` : 'Diun Dashboard';
  useEffect(() => {
    document.title = pendingTitle;
  }, [pendingTitle]);

  const clearSelection = useCallback(() => {
    setSelected(new Set());
    anchor.current = null;
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      if (document.querySelector('dialog[open]') || document.querySelector('[role="menu"]')) return;
      clearSelection();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [clearSelection]);

  // Refs so the actions object stays stable (rows are memoised).
  const live$ = useRef({ orderedPending, effectiveSelection, selectedImages, tags, byId, dialogs });
  live$.current = { orderedPending, effectiveSelection, selectedImages, tags, byId, dialogs };

  const actions = useMemo<Actions>(() => {
    const a: Actions = {
      acknowledge: (ids) => {
        void store.acknowledge(ids);
        setSelected((s) => {
          if (!ids.some((id) => s.has(id))) return s;
          const n = new Set(s);
          ids.forEach((id) => n.delete(id));
          return n;
        });
      },
      unacknowledge: (ids) => void store.unacknowledge(ids),
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
      moveToTag: (images, tag) => void store.setImageTag(images, tag),
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
      toggleGroup: (key) =>
        setCollapsed((prev) => {
          const n = new Set(prev);
          if (n.has(key)) n.delete(key);
          else n.add(key);
          return n;
        }),
      acknowledgeGroup: (g: Group) => {
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
  }, [setView]);

  const listContext = useMemo<ListContext>(() => ({ actions, tags, selected, now }), [actions, tags, selected, now]);

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
        <DiunSetup info={state.info} />
      </section>
    );
  } else {
    content = (
      <>
        <StatTiles stats={stats} now={now} status={view.status} onStatus={(status) => setView({ status })} />
        <Toolbar view={view} setView={setView} tags={tags} hosts={hosts} counts={counts} onManageTags={() => setTagManagerOpen(true)} />
        {shownCount === 0 ? (
          shownStatus === 'pending' && !filtersActive ? (
            <div className="panel state-panel" data-testid="all-caught-up">
              <PartyPopper size={28} className="state-icon state-icon-success" aria-hidden />
              <h2 className="state-title">All caught up</h2>
              <p className="muted">Every update has been acknowledged. New ones appear here as Diun reports them.</p>
              <button type="button" className="btn btn-secondary" onClick={() => setView({ status: 'acknowledged' })}>
                Show acknowledged
              </button>
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
            <p className="sr-only" aria-live="polite">
              {shownCount.toLocaleString()} update{shownCount === 1 ? '' : 's'} match
            </p>
            <UpdateList groups={groups} collapsed={collapsed} showGroupAck={shownStatus !== 'acknowledged'} />
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
      <BulkBar ids={effectiveSelection} images={selectedImages} tags={tags} actions={actions} onClear={clearSelection} />
      {view.history !== null && <HistoryDrawer id={view.history} update={historyUpdate} now={now} onClose={() => setView({ history: null })} />}
      {tagManagerOpen && (
        <TagManager
          tags={tags}
          onClose={() => setTagManagerOpen(false)}
          onCreate={(name) => store.createTag(name)}
          onRename={renameTag}
          onDelete={deleteTag}
        />
      )}
      {connectOpen && (
        <Dialog open onClose={() => setConnectOpen(false)} title="Connect Diun" description="Send Diun's notifications to this dashboard." size="lg" testId="connect-dialog">
          <DiunSetup info={state.info} />
        </Dialog>
      )}
      <Toaster />
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
