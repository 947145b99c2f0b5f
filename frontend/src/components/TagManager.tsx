import { useState } from 'react';
import { Pencil, Plus, Tag as TagIcon, Trash2 } from 'lucide-react';
import type { Tag } from '../lib/types';
import { Dialog } from './Dialog';

export function validateTagName(name: string, tags: Tag[], exceptId?: number): string | null {
  const t = name.trim();
  if (!t) return 'Enter a name.';
  if ([...t].length > 64) return 'Use at most 64 characters.';
  if (tags.some((x) => x.id !== exceptId && x.name.toLowerCase() === t.toLowerCase())) return 'A tag with this name already exists.';
  return null;
}

export function TagManager(props: {
  tags: Tag[];
  onClose: () => void;
  onCreate: (name: string) => Promise<unknown>;
  onRename: (tag: Tag) => void;
  onDelete: (tag: Tag) => void;
}) {
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const error = validateTagName(name, props.tags);
  const sorted = [...props.tags].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));

  return (
    <Dialog open onClose={props.onClose} title="Tags" description="Group images by tag. A tag belongs to an image on every host." testId="tag-manager">
      <form
        className="tag-create"
        onSubmit={async (e) => {
          e.preventDefault();
          setTouched(true);
          if (error) return;
          await props.onCreate(name.trim());
          setName('');
          setTouched(false);
        }}
      >
        <label className="sr-only" htmlFor="new-tag-name">
          New tag name
        </label>
        <input id="new-tag-name" className="input" placeholder="New tag name, e.g. media" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} aria-invalid={touched && !!error} data-testid="new-tag-input" />
        <button type="submit" className="btn btn-primary" data-testid="create-tag">
          <Plus size={15} aria-hidden /> Create
        </button>
      </form>
      <p className="field-error" role={touched && error && name ? 'alert' : undefined}>
        {touched && error && name ? error : '\u00a0'}
      </p>
      {sorted.length === 0 ? (
        <p className="muted empty-tags">No tags yet. Create one, then drag updates onto its section or use an update's tag menu.</p>
      ) : (
        <ul className="tag-list" aria-label="Tags">
          {sorted.map((t) => (
            <li key={t.id} className="tag-item" data-testid="tag-item" data-tag-name={t.name}>
              <TagIcon size={14} className="muted" aria-hidden />
              <span className="tag-item-name">{t.name}</span>
              <span className="tag-item-count">
                {t.image_count} image{t.image_count === 1 ? '' : 's'}
              </span>
              <button type="button" className="icon-btn" aria-label={`Rename tag ${t.name}`} title="Rename" onClick={() => props.onRename(t)} data-testid="rename-tag">
                <Pencil size={14} aria-hidden />
              </button>
              <button type="button" className="icon-btn icon-btn-danger" aria-label={`Delete tag ${t.name}`} title="Delete" onClick={() => props.onDelete(t)} data-testid="delete-tag">
                <Trash2 size={14} aria-hidden />
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
