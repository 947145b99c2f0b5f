import { memo } from 'react';
import { AlarmClock, AlarmClockOff, BellOff, Box, Boxes, Briefcase, CalendarClock, Check, Copy, ExternalLink, History, Layers, MoreHorizontal, Plus, Server, Tag as TagIcon, Trash2, Undo2, X } from 'lucide-react';
import { derive } from '../data/derive';
import { imageLabel } from '../data/store';
import { stateOf } from '../lib/filter';
import { registryLabel, shortDigest } from '../lib/imageRef';
import { SNOOZE_PRESETS, formatUntil, presetUntil } from '../lib/snooze';
import { formatExact, formatRelative } from '../lib/time';
import type { MuteRule, Tag, Update, UpdateState } from '../lib/types';
import type { Workload } from '../lib/workloads';
import { CopyButton, copyText } from './CopyButton';
import { DRAG_TYPE, sourceOf, type Actions } from './context';
import { Menu, type MenuEntry } from './Menu';
import { toast } from '../data/toasts';

const KIND_ICON = { container: Box, service: Layers, pod: Boxes, job: Briefcase, task: Box } as const;

function hue(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h % 360;
}

/** Only http(s) links from webhook data become clickable. */
export function safeHttpUrl(url: string): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function WorkloadList({ items }: { items: Workload[] }) {
  const Icon = KIND_ICON[items[0].kind];
  const title = items.map((w) => `${w.kind}: ${w.name}`).join('\n');
  return (
    <span className="meta meta-workloads" title={title} data-testid="workloads">
      <Icon size={13} aria-hidden />
      <span className="sr-only">{items[0].kind === 'pod' ? 'Pod' : items[0].kind === 'service' ? 'Service' : items[0].kind === 'job' ? 'Job' : 'Containers'}: </span>
      <span className="meta-text">{items.map((w) => w.name).join(', ')}</span>
    </span>
  );
}

export function tagMenuEntries(images: string[], currentTagId: number | null | undefined, tags: Tag[], actions: Actions): MenuEntry[] {
  const sorted = [...tags].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
  const entries: MenuEntry[] = [];
  if (sorted.length) {
    entries.push({ kind: 'heading', key: 'h', label: 'Move to tag' });
    for (const t of sorted) {
      entries.push({
        kind: 'item',
        key: `t${t.id}`,
        label: t.name,
        checked: currentTagId === t.id,
        onSelect: () => actions.moveToTag(images, { id: t.id, name: t.name }),
      });
    }
    entries.push({ kind: 'separator', key: 's1' });
  }
  entries.push({ kind: 'item', key: 'new', label: 'New tag…', icon: <Plus size={14} />, onSelect: () => actions.newTagFor(images) });
  if (currentTagId !== null) {
    entries.push({ kind: 'item', key: 'remove', label: 'Remove tag', icon: <X size={14} />, onSelect: () => actions.moveToTag(images, null) });
  }
  return entries;
}

/**
 * "Not now" entries for updates (a row, the selection) or an image on every
 * host: the presets, a date, and "Unsnooze" for snoozed ones.
 */
export function snoozeMenuEntries(snooze: (until: string) => void, pickDate: () => void, unsnooze?: () => void): MenuEntry[] {
  const entries: MenuEntry[] = [{ kind: 'heading', key: 'h', label: 'Not now: snooze' }];
  for (const p of SNOOZE_PRESETS) {
    entries.push({ kind: 'item', key: p.preset, label: p.label, icon: <AlarmClock size={14} />, hint: formatUntil(presetUntil(p.preset)), onSelect: () => snooze(presetUntil(p.preset)) });
  }
  entries.push({ kind: 'item', key: 'date', label: 'Until a date…', icon: <CalendarClock size={14} />, onSelect: pickDate });
  if (unsnooze) {
    entries.push({ kind: 'separator', key: 's' });
    entries.push({ kind: 'item', key: 'unsnooze', label: 'Unsnooze', icon: <AlarmClockOff size={14} />, onSelect: unsnooze });
  }
  return entries;
}

const LEAVING_NOTE: Record<UpdateState, string> = { acknowledged: 'Acknowledged', snoozed: 'Snoozed', muted: 'Muted', pending: 'Back in pending' };

interface RowProps {
  update: Update;
  selected: boolean;
  now: number;
  tags: Tag[];
  actions: Actions;
  position: 'first' | 'middle' | 'last' | 'only';
  /** Just acknowledged (or marked pending) and about to leave the view: shown in place, inert. */
  leaving?: boolean;
  /** Arrived through the live stream a moment ago. */
  fresh?: boolean;
  /** The mute rules by id (to name the one holding a muted row), when loaded. */
  rules?: ReadonlyMap<number, MuteRule>;
}

/** The row's main action button (focus moves to it after an acknowledge). */
export const ROW_ACTION = 'data-row-action';

export const UpdateRow = memo(function UpdateRow({ update: u, selected, now, tags, actions, position, leaving = false, fresh = false, rules }: RowProps) {
  const { ref, workloads } = derive(u);
  // Not acknowledged: selectable, can be acknowledged or snoozed (pending, snoozed or muted).
  const pending = u.acknowledged_at === null;
  const state = stateOf(u);
  const rule = u.muted_by ? rules?.get(u.muted_by) : undefined;
  const label = imageLabel(u.image);
  const who = `${label} on ${u.hostname}`;
  const digest = shortDigest(u.digest);
  const hub = safeHttpUrl(u.hub_link);
  const initial = (ref.displayRepository.split('/').pop() || '?').charAt(0).toUpperCase();

  return (
    <article
      className={`card card-${position}${selected ? ' is-selected' : ''}${pending ? '' : ' is-acknowledged'}${state === 'snoozed' ? ' is-snoozed' : ''}${state === 'muted' ? ' is-muted' : ''}${leaving ? ' is-leaving' : ''}${fresh ? ' is-fresh' : ''}`}
      data-testid="update-card"
      data-update-id={u.id}
      data-image={u.image}
      data-host={u.hostname}
      data-pending={pending}
      data-state={state}
      data-leaving={leaving || undefined}
      data-fresh={fresh || undefined}
      aria-label={who}
      // A row on its way out takes no clicks: a fast second click lands here, harmlessly.
      inert={leaving}
      draggable={!leaving}
      onDragStart={(e) => {
        const images = actions.dragImagesFor(u);
        e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(images));
        e.dataTransfer.setData('text/plain', images.join('\n'));
        e.dataTransfer.effectAllowed = 'move';
        // Changing the DOM inside dragstart cancels the drag in Chromium: defer.
        setTimeout(() => actions.setDragging(images), 0);
      }}
      onDragEnd={() => actions.setDragging(null)}
    >
      <div className="card-check">
        {pending && (
          // The label widens the checkbox's target to 44 px without changing its look.
          <label className="check-hit" onMouseDown={(e) => e.shiftKey && e.preventDefault()}>
            <input
              type="checkbox"
              className="checkbox"
              checked={selected}
              aria-label={`Select ${who}`}
              data-testid="select"
              onClick={(e) => actions.toggleSelect(u.id, e.shiftKey)}
              onChange={() => undefined}
            />
          </label>
        )}
      </div>
      {leaving && (
        <p className="leaving-note" aria-hidden>
          <Check size={14} aria-hidden /> {LEAVING_NOTE[state]}
        </p>
      )}

      <div className="avatar" style={{ ['--h' as string]: hue(ref.repository) }} aria-hidden>
        {initial}
      </div>

      <div className="card-main">
        <div className="card-title">
          <span className="repo" title={u.image} data-testid="repository">
            {ref.displayRepository}
          </span>
          {ref.tag && (
            <span className="image-tag" data-testid="image-tag" title={`Tag ${ref.tag}`}>
              {ref.tag}
            </span>
          )}
          {ref.digest && (
            <span className="image-pin" title={`Pinned to ${ref.digest}`}>
              @{shortDigest(ref.digest)}
            </span>
          )}
          {fresh && (
            <span className="arrival-mark" data-testid="arrival-mark">
              Just in
            </span>
          )}
          <span className={`badge badge-${u.status === 'new' ? 'new' : 'update'}`} data-testid="status-badge" title={u.status === 'new' ? 'A new tag was published' : 'The tag points to a new image'}>
            {u.status === 'new' ? 'new' : 'update'}
          </span>
        </div>
        <div className="card-meta">
          <span className="meta meta-registry" title={`Registry ${ref.registry}`} data-testid="registry">
            {registryLabel(ref)}
          </span>
          <span className="meta meta-host" title={`Host ${u.hostname}`} data-testid="host">
            <Server size={13} aria-hidden />
            <span className="sr-only">Host: </span>
            <span className="meta-text">{u.hostname}</span>
          </span>
          {workloads.length > 0 && <WorkloadList items={workloads} />}
          {u.provider && (
            <span className="meta meta-plain" title="Diun provider">
              {u.provider}
            </span>
          )}
          {u.platform && (
            <span className="meta meta-plain" title="Platform">
              {u.platform}
            </span>
          )}
          {digest && (
            <span className="meta meta-digest" title={u.digest}>
              <span className="mono" data-testid="digest">
                {digest}
              </span>
              <CopyButton text={u.digest} label={`Copy digest of ${who}`} />
            </span>
          )}
        </div>
      </div>

      <div className="card-aside">
        <span className="card-time">
          {state === 'snoozed' ? (
            <time className="state-note state-snoozed" dateTime={u.snoozed_until ?? ''} title={`Snoozed until ${formatExact(u.snoozed_until)}\nReceived ${formatExact(u.last_seen_at)}`} data-testid="snoozed-until">
              <AlarmClock size={12} aria-hidden /> <span className="sr-only">Snoozed </span>until {formatUntil(u.snoozed_until, now)}
            </time>
          ) : state === 'muted' ? (
            <span className="state-note state-muted" title={rule ? `Muted by the rule ${rule.pattern}${rule.comment ? ` (${rule.comment})` : ''}` : 'Muted by a rule'} data-testid="muted-by">
              <BellOff size={12} aria-hidden /> Muted{rule ? <span className="state-rule mono">{rule.pattern}</span> : null}
            </span>
          ) : pending ? (
            <time dateTime={u.last_seen_at} title={`Received ${formatExact(u.last_seen_at)}`} data-testid="received">
              {formatRelative(u.last_seen_at, now)}
            </time>
          ) : (
            <time dateTime={u.acknowledged_at ?? ''} title={`Acknowledged ${formatExact(u.acknowledged_at)}\nReceived ${formatExact(u.last_seen_at)}`} data-testid="received">
              <Check size={12} aria-hidden /> {formatRelative(u.acknowledged_at, now)}
            </time>
          )}
        </span>
        <div className="card-actions">
          {hub && (
            <a className="icon-btn" href={hub} target="_blank" rel="noopener noreferrer" aria-label={`Open ${ref.displayRepository} in its registry`} title="Open in registry" data-testid="hub-link">
              <ExternalLink size={15} aria-hidden />
            </a>
          )}
          <button type="button" className="icon-btn" aria-label={`History of ${who}`} title={`History (${u.event_count} event${u.event_count === 1 ? '' : 's'})`} data-testid="history-btn" onClick={() => actions.openHistory(u.id)}>
            <History size={15} aria-hidden />
          </button>
          <Menu label={`Move ${who} to tag…`} title="Move to tag…" triggerTestId="tag-menu" menuTestId="tag-menu-list" entries={() => tagMenuEntries([u.image], u.tag?.id ?? null, tags, actions)}>
            <TagIcon size={15} aria-hidden />
          </Menu>
          {pending && (
            <Menu
              label={`Snooze ${who}…`}
              title="Not now (snooze)…"
              triggerTestId="snooze-menu"
              menuTestId="snooze-menu-list"
              entries={() =>
                snoozeMenuEntries(
                  (until) => actions.snooze([u.id], until, { at: null, row: u.id }),
                  () => actions.pickSnoozeDate([u.id]),
                  state === 'snoozed' ? () => actions.unsnooze([u.id], { at: null, row: u.id }) : undefined,
                )
              }
            >
              <AlarmClock size={15} aria-hidden />
            </Menu>
          )}
          <Menu
            label={`More actions for ${who}`}
            title="More"
            triggerTestId="more-menu"
            entries={() => [
              { kind: 'item', key: 'history', label: 'History', icon: <History size={14} />, onSelect: () => actions.openHistory(u.id) },
              {
                kind: 'item',
                key: 'copy',
                label: 'Copy image reference',
                icon: <Copy size={14} />,
                onSelect: () => void copyText(u.image).then((ok) => ok && toast.info('Copied image reference')),
              },
              pending
                ? { kind: 'item', key: 'ack', label: 'Acknowledge', icon: <Check size={14} />, onSelect: () => actions.acknowledge([u.id], { at: null, row: u.id }) }
                : { kind: 'item', key: 'unack', label: 'Mark as pending', icon: <Undo2 size={14} />, onSelect: () => actions.unacknowledge([u.id], { at: null, row: u.id }) },
              { kind: 'item', key: 'mute', label: 'Mute updates like this…', icon: <BellOff size={14} />, onSelect: () => actions.muteLike(u) },
              { kind: 'separator', key: 's' },
              { kind: 'item', key: 'delete', label: 'Delete…', icon: <Trash2 size={14} />, danger: true, onSelect: () => actions.remove(u) },
            ]}
          >
            <MoreHorizontal size={15} aria-hidden />
          </Menu>
          {state === 'snoozed' ? (
            <button
              type="button"
              className="btn btn-secondary btn-sm ack-btn"
              aria-label={`Unsnooze ${who}`}
              data-testid="unsnooze"
              {...{ [ROW_ACTION]: '' }}
              onClick={(e) => actions.unsnooze([u.id], sourceOf(e, u.id))}
            >
              <AlarmClockOff size={14} aria-hidden />
              <span className="ack-text">Unsnooze</span>
            </button>
          ) : pending ? (
            <button
              type="button"
              className="btn btn-secondary btn-sm ack-btn"
              aria-label={`Acknowledge ${who}`}
              data-testid="ack"
              {...{ [ROW_ACTION]: '' }}
              onClick={(e) => actions.acknowledge([u.id], sourceOf(e, u.id))}
            >
              <Check size={14} aria-hidden />
              <span className="ack-text">Acknowledge</span>
            </button>
          ) : (
            <button
              type="button"
              className="btn btn-ghost btn-sm ack-btn"
              aria-label={`Mark pending: ${who}`}
              data-testid="unack"
              {...{ [ROW_ACTION]: '' }}
              onClick={(e) => actions.unacknowledge([u.id], sourceOf(e, u.id))}
            >
              <Undo2 size={14} aria-hidden />
              <span className="ack-text">Mark pending</span>
            </button>
          )}
        </div>
      </div>
    </article>
  );
});
