import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { AlarmClock, ArrowDown, ArrowUp, Check, CheckCheck, ChevronRight, Tag as TagIcon } from 'lucide-react';
import { imageLabel, store } from '../data/store';
import type { Group } from '../lib/grouping';
import { parseImageRef, shortDigest } from '../lib/imageRef';
import { formatExact, formatRelative } from '../lib/time';
import type { Update } from '../lib/types';
import type { StatusFilter } from '../lib/viewState';
import { isImageDrag, readDraggedImages, sourceOf, useListContext } from './context';
import { Menu } from './Menu';
import { ROW_ACTION, snoozeMenuEntries, UpdateRow } from './UpdateRow';

type Position = 'first' | 'middle' | 'last' | 'only';
type Row =
  | { kind: 'group'; key: string; group: Group; index: number }
  | { kind: 'update'; key: string; update: Update; position: Position; nested?: boolean }
  // The end of a section's loaded updates when it has more: rendering it loads the next page.
  | { kind: 'more'; key: string; group: Group; position: Position; nested?: boolean }
  // Grouped by image: the end of the loaded image rows when there are more.
  | { kind: 'more-images'; key: string };

export function flattenRows(groups: Group[], collapsed: ReadonlySet<string>, moreImages = false): Row[] {
  const rows: Row[] = [];
  groups.forEach((g, index) => {
    rows.push({ kind: 'group', key: `g:${g.key}`, group: g, index });
    if (collapsed.has(g.key)) return;
    const n = g.updates.length + (g.hasMore ? 1 : 0);
    const position = (i: number): Position => (n === 1 ? 'only' : i === 0 ? 'first' : i === n - 1 ? 'last' : 'middle');
    // An image's host rows sit under it, indented.
    const nested = !!g.image;
    g.updates.forEach((u, i) => rows.push({ kind: 'update', key: `u:${u.id}`, update: u, position: position(i), nested }));
    if (g.hasMore) rows.push({ kind: 'more', key: `m:${g.key}`, group: g, position: position(n - 1), nested });
  });
  if (moreImages) rows.push({ kind: 'more-images', key: 'more-images' });
  return rows;
}

/** Grouped by image: asks for the next page of image rows as soon as it is rendered (scrolled into view). */
function MoreImagesRow({ loading, error, onMore }: { loading: boolean; error: string | null; onMore: () => void }) {
  useEffect(() => {
    if (!loading && !error) onMore();
  }, [loading, error, onMore]);
  return (
    <div className="card card-only card-more" data-testid="load-more-images" aria-busy={!error}>
      {error ? (
        <span className="more-error" role="alert">
          Couldn't load more images: {error}{' '}
          <button type="button" className="btn btn-ghost btn-sm" onClick={onMore}>
            Try again
          </button>
        </span>
      ) : (
        <>
          <span className="sk sk-avatar" aria-hidden />
          <span className="sk-lines" aria-hidden>
            <span className="sk sk-line" style={{ width: '38%' }} />
            <span className="sk sk-line" style={{ width: '62%' }} />
          </span>
          <span className="sr-only">Loading more images</span>
        </>
      )}
    </div>
  );
}

const STATE_WORD: Record<StatusFilter, string> = { pending: 'pending', snoozed: 'snoozed', muted: 'muted', acknowledged: 'acknowledged', all: 'updates' };

/**
 * Grouped by image: one image across hosts. Shows the hosts that run it, how
 * many are pending, the newest digest and when it was first seen; expanding
 * shows the per-host rows. Its actions work on every host at once.
 */
function ImageHeader({ group, collapsed, status, first, leaving }: { group: Group; collapsed: boolean; status: StatusFilter; first: boolean; leaving: boolean }) {
  const { actions, now } = useListContext();
  const img = group.image!;
  const ref = parseImageRef(img.image);
  const label = imageLabel(img.image);
  const open = img.pending + img.snoozed + img.muted;
  const shownHosts = img.hosts.slice(0, 3);
  const moreHosts = img.host_count - shownHosts.length;
  const others: string[] = [];
  if (status !== 'pending' && img.pending > 0) others.push(`${img.pending} pending`);
  if (status !== 'snoozed' && img.snoozed > 0) others.push(`${img.snoozed} snoozed`);
  if (status !== 'muted' && img.muted > 0) others.push(`${img.muted} muted`);
  return (
    <div
      className={`group-header image-header${first ? ' is-first' : ''}${collapsed ? ' is-collapsed' : ''}${leaving ? ' is-leaving' : ''}`}
      data-testid="image-header"
      data-group-key={group.key}
      data-image={img.image}
      data-pending={img.pending}
      inert={leaving}
    >
      <h2 className="group-title image-title">
        <button type="button" className="group-toggle image-toggle" aria-expanded={!collapsed} onClick={() => actions.toggleGroup(group.key)} data-testid="image-toggle">
          <ChevronRight size={15} className="group-chevron" aria-hidden />
          <span className="image-name">
            <span className="repo" title={img.image}>
              {ref.displayRepository}
            </span>
            {ref.tag && <span className="image-tag">{ref.tag}</span>}
          </span>
          <span className={`group-count image-count image-count-${status}`} data-testid="image-count">
            {group.count.toLocaleString()} {STATE_WORD[status]}
          </span>
        </button>
      </h2>
      <p className="image-meta">
        <span className="image-hosts" title={img.hosts.join(', ')} data-testid="image-hosts">
          {img.host_count} host{img.host_count === 1 ? '' : 's'}: {shownHosts.join(', ')}
          {moreHosts > 0 ? ` +${moreHosts}` : ''}
        </span>
        {others.length > 0 && <span className="image-others">{others.join(' · ')}</span>}
        {img.newest_digest && (
          <span className="image-digest" title={`Newest digest ${img.newest_digest}`}>
            newest <span className="mono">{shortDigest(img.newest_digest)}</span>
          </span>
        )}
        <span title={`First seen ${formatExact(img.first_seen_at)}`}>first seen {formatRelative(img.first_seen_at, now)}</span>
        {img.tag && (
          <span className="image-tagname">
            <TagIcon size={12} aria-hidden /> {img.tag.name}
          </span>
        )}
      </p>
      {leaving ? (
        <p className="leaving-note image-leaving" aria-hidden>
          <Check size={14} aria-hidden /> Acknowledged on every host
        </p>
      ) : (
        open > 0 && (
          <div className="image-actions">
            <Menu
              label={`Snooze ${label} on every host…`}
              title="Not now (snooze on every host)…"
              triggerTestId="image-snooze-menu"
              entries={() =>
                snoozeMenuEntries(
                  (until) => actions.snoozeImage(img.image, until),
                  () => actions.pickSnoozeDate([], img.image),
                )
              }
            >
              <AlarmClock size={15} aria-hidden />
            </Menu>
            <button
              type="button"
              className="btn btn-secondary btn-sm group-ack"
              data-testid="ack-image"
              // The visible words first (a speech command finds the button by them), then what it acts on.
              aria-label={img.host_count === 1 ? `Acknowledge ${label} on its host` : `Acknowledge all ${img.host_count} hosts: ${label}`}
              title="Acknowledge on every host"
              onClick={(e) => actions.acknowledgeImage(group, sourceOf(e))}
            >
              <CheckCheck size={14} aria-hidden />
              <span>
                Acknowledge<span className="hide-sm"> {img.host_count === 1 ? '' : `all ${img.host_count}`}</span>
              </span>
            </button>
          </div>
        )
      )}
    </div>
  );
}

/** Placeholder at the end of a section's loaded updates: asks for the next page as soon as it is rendered (scrolled into view). */
function MoreRow({ group, position }: { group: Group; position: Position }) {
  const { actions } = useListContext();
  const { key, loading, error } = group;
  const loaded = group.updates.length;
  useEffect(() => {
    if (!loading && !error) actions.loadMore(key);
  }, [actions, key, loaded, loading, error]);
  const left = Math.max(0, group.count - loaded);
  return (
    <div className={`card card-${position} card-more`} data-testid="load-more" data-group-key={key} aria-busy={!error}>
      {error ? (
        <span className="more-error" role="alert">
          Couldn't load more: {error}{' '}
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => actions.loadMore(key)}>
            Try again
          </button>
        </span>
      ) : (
        <>
          <span className="sk sk-avatar" aria-hidden />
          <span className="sk-lines" aria-hidden>
            <span className="sk sk-line" style={{ width: '38%' }} />
            <span className="sk sk-line" style={{ width: '62%' }} />
          </span>
          <span className="sr-only">Loading {left > 0 ? `${left.toLocaleString()} more` : 'more'} updates</span>
        </>
      )}
    </div>
  );
}

function GroupHeader({ group, collapsed, showAck, first }: { group: Group; collapsed: boolean; showAck: boolean; first: boolean }) {
  const { actions } = useListContext();
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  const name = group.tag?.name ?? 'Untagged';
  const count = group.count;

  return (
    <div
      className={`group-header${first ? ' is-first' : ''}${over ? ' is-drop-target' : ''}${collapsed ? ' is-collapsed' : ''}`}
      data-testid="group-header"
      data-group-key={group.key}
      data-group-name={name}
      onDragEnter={(e) => {
        if (!isImageDrag(e.dataTransfer)) return;
        e.preventDefault();
        depth.current++;
        setOver(true);
      }}
      onDragOver={(e) => {
        if (!isImageDrag(e.dataTransfer)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'move';
      }}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      }}
      onDrop={(e) => {
        depth.current = 0;
        setOver(false);
        const images = readDraggedImages(e.dataTransfer);
        if (!images) return;
        e.preventDefault();
        actions.moveToTag(images, group.tag);
      }}
    >
      <h2 className="group-title">
        <button type="button" className="group-toggle" aria-expanded={!collapsed} onClick={() => actions.toggleGroup(group.key)} data-testid="group-toggle">
          <ChevronRight size={15} className="group-chevron" aria-hidden />
          {group.tag ? <TagIcon size={14} className="group-icon" aria-hidden /> : <span className="group-icon group-icon-empty" aria-hidden />}
          <span className={`group-name${group.tag ? '' : ' is-untagged'}`}>{name}</span>
          <span className="group-count" aria-label={`${count} update${count === 1 ? '' : 's'}`}>
            {count.toLocaleString()}
          </span>
        </button>
      </h2>
      <span className="group-drop-hint" aria-hidden>
        {group.tag ? `Drop to move to ${name}` : 'Drop to remove the tag'}
      </span>
      {showAck && group.pendingCount > 0 && (
        <button
          type="button"
          className="btn btn-ghost btn-sm group-ack"
          data-testid="ack-group"
          aria-label={`Acknowledge ${group.pendingCount.toLocaleString()} pending in ${name}`}
          onClick={(e) => actions.acknowledgeGroup(group, sourceOf(e))}
        >
          <CheckCheck size={14} aria-hidden />
          <span>Acknowledge {group.pendingCount.toLocaleString()}</span>
        </button>
      )}
    </div>
  );
}

export function UpdateList({
  groups,
  collapsed,
  showGroupAck,
  status,
  images,
}: {
  groups: Group[];
  collapsed: ReadonlySet<string>;
  showGroupAck: boolean;
  status: StatusFilter;
  /** Grouped by image: whether more image rows can be loaded, and how that goes. */
  images?: { more: boolean; loading: boolean; error: string | null };
}) {
  const ctx = useListContext();
  const rows = useMemo(() => flattenRows(groups, collapsed, images?.more ?? false), [groups, collapsed, images?.more]);
  const listRef = useRef<HTMLDivElement>(null);
  const [margin, setMargin] = useState(0);

  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const measure = () => setMargin(el.getBoundingClientRect().top + window.scrollY);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(document.body);
    return () => ro.disconnect();
  }, []);

  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: (i) => (rows[i].kind === 'group' ? (rows[i].group.image ? 74 : 52) : 78),
    overscan: 5,
    scrollMargin: margin,
    getItemKey: (i) => rows[i].key,
  });

  const items = virtualizer.getVirtualItems();

  return (
    <div ref={listRef} className="list" data-testid="update-list" data-row-count={rows.length} style={{ height: virtualizer.getTotalSize() }}>
      {items.map((item) => {
        const row = rows[item.index];
        return (
          <div
            key={item.key}
            data-index={item.index}
            ref={virtualizer.measureElement}
            className={`vrow vrow-${row.kind}${(row.kind === 'update' || row.kind === 'more') && row.nested ? ' vrow-nested' : ''}`}
            style={{ transform: `translateY(${item.start - virtualizer.options.scrollMargin}px)` }}
          >
            {row.kind === 'more-images' ? (
              <MoreImagesRow loading={images?.loading ?? false} error={images?.error ?? null} onMore={store.loadMoreImages} />
            ) : row.kind === 'group' && row.group.image ? (
              <ImageHeader group={row.group} collapsed={collapsed.has(row.group.key)} status={status} first={row.index === 0} leaving={ctx.leavingImages.has(row.group.image.image)} />
            ) : row.kind === 'group' ? (
              <GroupHeader group={row.group} collapsed={collapsed.has(row.group.key)} showAck={showGroupAck} first={row.index === 0} />
            ) : row.kind === 'more' ? (
              <MoreRow group={row.group} position={row.position} />
            ) : (
              <UpdateRow
                update={row.update}
                selected={ctx.selected.has(row.update.id)}
                now={ctx.now}
                tags={ctx.tags}
                actions={ctx.actions}
                position={row.position}
                leaving={ctx.leaving.has(row.update.id)}
                fresh={ctx.arrivals.has(row.update.id)}
                rules={ctx.rules}
              />
            )}
          </div>
        );
      })}
      <NewArrivals rows={rows} visible={virtualizer.range} onGo={(index, id) => {
        virtualizer.scrollToIndex(index, { align: 'center' });
        // Once rendered there, its action takes the focus (keyboard users land on it too).
        requestAnimationFrame(() => requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-update-id="${id}"] [${ROW_ACTION}]`)?.focus({ preventScroll: true })));
      }} />
    </div>
  );
}

/**
 * "N new" for live arrivals out of view (above or below what is on screen):
 * a click scrolls to the nearest one. Those in view are marked on their row.
 */
function NewArrivals({ rows, visible, onGo }: { rows: Row[]; visible: { startIndex: number; endIndex: number } | null; onGo: (index: number, id: number) => void }) {
  const { arrivals } = useListContext();
  if (arrivals.size === 0 || !visible) return null;
  const above: Array<[number, number]> = [];
  const below: Array<[number, number]> = [];
  rows.forEach((r, i) => {
    if (r.kind !== 'update' || !arrivals.has(r.update.id)) return;
    if (i < visible.startIndex) above.push([i, r.update.id]);
    else if (i > visible.endIndex) below.push([i, r.update.id]);
  });
  const out = above.length + below.length;
  if (out === 0) return null;
  // Most arrivals are newest and sort first: usually above.
  const [index, id] = above.length ? above[above.length - 1] : below[0];
  const Icon = above.length ? ArrowUp : ArrowDown;
  return (
    <button
      type="button"
      className="btn btn-primary btn-sm new-arrivals"
      data-testid="new-arrivals"
      onClick={() => {
        onGo(index, id);
        window.setTimeout(() => store.clearArrivals([id]), 4000);
      }}
    >
      <Icon size={14} aria-hidden /> {out.toLocaleString()} new
    </button>
  );
}
