/**
 * Leading-and-trailing debounce for the search box: the first change after a
 * pause is sent at once (a pasted or first-typed query answers without
 * waiting), and the changes that follow it while the user keeps typing are
 * coalesced into one, sent `wait` ms after the last of them.
 */
export interface Debouncer<T> {
  push(value: T): void;
  /** Sends the pending value now (Enter). */
  flush(): void;
  cancel(): void;
}

export function leadingDebounce<T>(send: (value: T) => void, wait: number, now: () => number = Date.now): Debouncer<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = -Infinity;
  let pending: { value: T } | null = null;
  const fire = () => {
    timer = null;
    const p = pending;
    pending = null;
    if (p) send(p.value);
  };
  return {
    push(value) {
      const t = now();
      const idle = timer === null && t - last >= wait;
      last = t;
      if (idle) {
        send(value);
        return;
      }
      pending = { value };
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(fire, wait);
    },
    flush() {
      if (timer !== null) clearTimeout(timer);
      fire();
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}
