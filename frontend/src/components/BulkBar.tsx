import { Check, Tag as TagIcon, X } from 'lucide-react';
import type { Tag } from '../lib/types';
import type { Actions } from './context';
import { Menu } from './Menu';
import { tagMenuEntries } from './UpdateRow';

export function BulkBar({ ids, images, tags, actions, onClear }: { ids: number[]; images: string[]; tags: Tag[]; actions: Actions; onClear: () => void }) {
  if (ids.length === 0) return null;
  return (
    <div className="bulkbar" role="region" aria-label="Selection" data-testid="bulk-bar">
      <span className="bulk-count" aria-live="polite">
        <strong>{ids.length.toLocaleString()}</strong> selected
      </span>
      <span className="bulk-sep" aria-hidden />
      <Menu label={`Move ${images.length} image${images.length === 1 ? '' : 's'} to tag…`} title="Move to tag…" triggerClassName="btn btn-ghost btn-sm bulk-btn" side="top" align="start" entries={() => tagMenuEntries(images, undefined, tags, actions)}>
        <TagIcon size={14} aria-hidden />
        <span className="hide-xs">Move to tag</span>
      </Menu>
      <button type="button" className="btn btn-primary btn-sm" data-testid="bulk-ack" onClick={() => actions.acknowledge(ids)}>
        <Check size={14} aria-hidden />
        Acknowledge {ids.length.toLocaleString()}
      </button>
      <button type="button" className="icon-btn" aria-label="Clear selection" title="Clear selection (Esc)" onClick={onClear}>
        <X size={15} aria-hidden />
      </button>
    </div>
  );
}
