import { AlarmClock, AlarmClockOff, Check, Tag as TagIcon, X } from 'lucide-react';
import type { Tag } from '../lib/types';
import { sourceOf, type Actions } from './context';
import { Menu } from './Menu';
import { snoozeMenuEntries, tagMenuEntries } from './UpdateRow';

/**
 * What can be done with the selected rows. It sits in the page's order right
 * before the list (Tab reaches it after the filters, `b` jumps to it) while it
 * shows at the bottom of the screen; the page keeps room for it below the list.
 */
export function BulkBar({ ids, images, snoozed, tags, actions, onClear }: { ids: number[]; images: string[]; snoozed: number[]; tags: Tag[]; actions: Actions; onClear: () => void }) {
  if (ids.length === 0) return null;
  const n = images.length;
  return (
    <section className="bulkbar" aria-label="Selection" aria-keyshortcuts="b" data-testid="bulk-bar">
      <span className="bulk-count" role="status">
        <strong>{ids.length.toLocaleString()}</strong> selected
      </span>
      <span className="bulk-sep" aria-hidden />
      <Menu
        label={`Move to tag: ${n} image${n === 1 ? '' : 's'}`}
        title="Move to tag…"
        triggerClassName="btn btn-ghost btn-sm bulk-btn"
        side="top"
        align="start"
        entries={() => tagMenuEntries(images, undefined, tags, actions)}
      >
        <TagIcon size={14} aria-hidden />
        <span className="hide-xs">Move to tag</span>
      </Menu>
      <Menu
        label={`Snooze ${ids.length} update${ids.length === 1 ? '' : 's'}…`}
        title="Not now (snooze)…"
        triggerClassName="btn btn-ghost btn-sm bulk-btn"
        triggerTestId="bulk-snooze"
        side="top"
        align="start"
        entries={() => snoozeMenuEntries((until) => actions.snoozeSelection(until), () => actions.pickSnoozeDate(ids))}
      >
        <AlarmClock size={14} aria-hidden />
        <span className="hide-xs">Snooze</span>
      </Menu>
      {snoozed.length > 0 && (
        <button type="button" className="btn btn-ghost btn-sm bulk-btn" data-testid="bulk-unsnooze" onClick={(e) => actions.unsnooze(snoozed, sourceOf(e))} aria-label={`Unsnooze ${snoozed.length}`}>
          <AlarmClockOff size={14} aria-hidden />
          <span className="hide-xs">Unsnooze {snoozed.length.toLocaleString()}</span>
        </button>
      )}
      <button type="button" className="btn btn-primary btn-sm" data-testid="bulk-ack" onClick={(e) => actions.acknowledgeSelection(sourceOf(e))}>
        <Check size={14} aria-hidden />
        Acknowledge {ids.length.toLocaleString()}
      </button>
      <button type="button" className="icon-btn" aria-label="Clear selection" title="Clear selection (Esc)" onClick={onClear}>
        <X size={15} aria-hidden />
      </button>
    </section>
  );
}
