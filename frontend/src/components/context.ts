import { createContext, useContext } from 'react';
import type { Group } from '../lib/grouping';
import type { Tag, TagRef, Update } from '../lib/types';

export interface Actions {
  acknowledge(ids: number[]): void;
  unacknowledge(ids: number[]): void;
  remove(u: Update): void;
  openHistory(id: number): void;
  moveToTag(images: string[], tag: TagRef | null): void;
  newTagFor(images: string[]): void;
  toggleSelect(id: number, shift: boolean): void;
  toggleGroup(key: string): void;
  acknowledgeGroup(g: Group): void;
  /** Loads the next page of a section. */
  loadMore(key: string): void;
  /** Images being dragged, or null when the drag ends. */
  setDragging(images: string[] | null): void;
  /** Images to drag when a card is picked up: the whole selection if the card is part of it. */
  dragImagesFor(u: Update): string[];
}

export interface ListContext {
  actions: Actions;
  tags: Tag[];
  selected: ReadonlySet<number>;
  now: number;
}

export const ListCtx = createContext<ListContext | null>(null);

export function useListContext(): ListContext {
  const v = useContext(ListCtx);
  if (!v) throw new Error('ListCtx missing');
  return v;
}

export const DRAG_TYPE = 'application/x-diun-images';

export function readDraggedImages(dt: DataTransfer): string[] | null {
  try {
    const raw = dt.getData(DRAG_TYPE);
    if (!raw) return null;
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

export function isImageDrag(dt: DataTransfer | null): boolean {
  return !!dt && [...dt.types].includes(DRAG_TYPE);
}
