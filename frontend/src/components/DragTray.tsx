import { useState } from 'react';
import { Tag as TagIcon, X } from 'lucide-react';
import type { Tag, TagRef } from '../lib/types';
import { isImageDrag, readDraggedImages } from './context';

/** While a card is dragged: every tag as a drop target, even those without a section on screen. */
export function DragTray({ count, tags, onDrop }: { count: number; tags: Tag[]; onDrop: (images: string[], tag: TagRef | null) => void }) {
  const sorted = [...tags].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
  return (
    <div className="drag-tray" data-testid="drag-tray" aria-hidden>
      <span className="drag-tray-label">
        Move {count === 1 ? 'image' : `${count} images`} to
      </span>
      <div className="drag-tray-targets">
        {sorted.map((t) => (
          <TrayTarget key={t.id} label={t.name} icon={<TagIcon size={13} />} onDrop={(images) => onDrop(images, { id: t.id, name: t.name })} />
        ))}
        <TrayTarget label="No tag" icon={<X size={13} />} onDrop={(images) => onDrop(images, null)} muted />
      </div>
    </div>
  );
}

function TrayTarget({ label, icon, onDrop, muted }: { label: string; icon: React.ReactNode; onDrop: (images: string[]) => void; muted?: boolean }) {
  const [over, setOver] = useState(false);
  return (
    <div
      className={`tray-target${over ? ' is-over' : ''}${muted ? ' is-muted' : ''}`}
      data-testid="tray-target"
      data-tag-name={label}
      onDragEnter={(e) => {
        if (isImageDrag(e.dataTransfer)) {
          e.preventDefault();
          setOver(true);
        }
      }}
      onDragOver={(e) => {
        if (isImageDrag(e.dataTransfer)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'move';
        }
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        setOver(false);
        const images = readDraggedImages(e.dataTransfer);
        if (images) {
          e.preventDefault();
          onDrop(images);
        }
      }}
    >
      {icon}
      <span>{label}</span>
    </div>
  );
}
