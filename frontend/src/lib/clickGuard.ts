/**
 * Fast-click protection: after an action that changes data, a repeated
 * pointer click at (about) the same spot within a short interval is ignored,
 * so a double-click (or a nervous second click) cannot act on whatever moved
 * under the pointer. A click elsewhere is deliberate and goes through, and
 * keyboard activation (a click event with `detail === 0`) is never held back.
 */
export const REPEAT_GUARD_MS = 600;
/** How far (px) the pointer may move between two clicks of one repeated click. */
export const REPEAT_GUARD_PX = 24;

export interface Point {
  x: number;
  y: number;
}

export function createClickGuard(ms = REPEAT_GUARD_MS, now: () => number = () => performance.now()) {
  let last: { t: number; at: Point | null } | null = null;
  return {
    /** True when the action may run (and starts the interval); false for a repeat within it. `at`: where the pointer clicked, null for the keyboard. */
    allow(at: Point | null): boolean {
      const t = now();
      if (at && last?.at && t - last.t < ms && Math.hypot(at.x - last.at.x, at.y - last.at.y) < REPEAT_GUARD_PX) return false;
      last = { t, at };
      return true;
    },
  };
}
