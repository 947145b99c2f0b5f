/** Per-update derived values, computed once per update object. */
import { parseImageRef, type ImageRef } from '../lib/imageRef';
import type { Update } from '../lib/types';
import { workloads, type Workload } from '../lib/workloads';

export interface Derived {
  ref: ImageRef;
  workloads: Workload[];
}

const cache = new WeakMap<Update, Derived>();

export function derive(u: Update): Derived {
  let d = cache.get(u);
  if (!d) {
    d = { ref: parseImageRef(u.image), workloads: workloads(u.metadata, u.provider) };
    cache.set(u, d);
  }
  return d;
}
