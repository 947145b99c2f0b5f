import { createContext, useContext } from 'react';
import type { Point } from '../lib/clickGuard';
import type { Group } from '../lib/grouping';
import type { MuteRule, Tag, TagRef, Update } from '../lib/types';

/** How an action was started: a pointer click is subject to the repeat guard (lib/clickGuard), the keyboard never is. */
export interface ActionSource {
  /** Where the pointer clicked; null for the keyboard (or a menu). */
  at: Point | null;
  /** The row it was started from: focus moves on to the next row's action. */
  row?: number;
}

/** A click event's source: `detail` counts pointer clicks, 0 for Enter/Space. */
export function sourceOf(e: { detail: number; clientX: number; clientY: number }, row?: number): ActionSource {
  return { at: e.detail > 0 ? { x: e.clientX, y: e.clientY } : null, row };
}

export interface Actions {
  acknowledge(ids: number[], source?: ActionSource): void;
  unacknowledge(ids: number[], source?: ActionSource): void;
  remove(u: Update): void;
  openHistory(id: number): void;
  moveToTag(images: string[], tag: TagRef | null): void;
  newTagFor(images: string[]): void;
  toggleSelect(id: number, shift: boolean): void;
  toggleGroup(key: string): void;
  acknowledgeGroup(g: Group, source: ActionSource): void;
  /** Grouped by image: acknowledges the image on every host (one request, with undo). */
  acknowledgeImage(g: Group, source: ActionSource): void;
  /** "Not now": snoozes updates until an instant (RFC 3339). */
  snooze(ids: number[], until: string, source?: ActionSource): void;
  /** Ends their snooze now. */
  unsnooze(ids: number[], source?: ActionSource): void;
  /** Snoozes an image on every host. */
  snoozeImage(image: string, until: string): void;
  /** Asks for a date, then snoozes these updates (or the image on every host) until it. */
  pickSnoozeDate(ids: number[], image?: string): void;
  /** Opens the new mute rule form, prefilled from this update. */
  muteLike(u: Update): void;
  /** The bulk bar's snooze: the whole selection until an instant. */
  snoozeSelection(until: string): void;
  /** The bulk bar's Acknowledge: the whole selection (asks first when it is large). */
  acknowledgeSelection(source: ActionSource): void;
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
  /** Rows leaving the view, kept in place (inert) a moment. */
  leaving: ReadonlySet<number>;
  /** Live arrivals marked "new" (id → time). */
  arrivals: ReadonlyMap<number, number>;
  /** Mute rules by id, once loaded. */
  rules: ReadonlyMap<number, MuteRule>;
  /** Image rows acknowledged as a whole a moment ago (kept in place, inert). */
  leavingImages: ReadonlySet<string>;
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
