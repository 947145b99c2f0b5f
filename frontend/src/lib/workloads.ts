/**
 * Names of the containers, services, pods, jobs or tasks that run an image,
 * read from the metadata that each Diun provider sets.
 */

export type WorkloadKind = 'container' | 'service' | 'pod' | 'job' | 'task';

export interface Workload {
  kind: WorkloadKind;
  name: string;
}

function str(metadata: Record<string, unknown> | null | undefined, key: string): string {
  const value = metadata?.[key];
  return typeof value === 'string' ? value.trim() : '';
}

export function workloads(metadata: Record<string, unknown> | null | undefined, provider = ''): Workload[] {
  const out: Workload[] = [];
  const seen = new Set<string>();
  const push = (kind: WorkloadKind, name: string) => {
    if (!name || seen.has(name)) return;
    seen.add(name);
    out.push({ kind, name });
  };

  // docker: comma-joined list, names may carry Docker's leading slash.
  const ctnNames = str(metadata, 'ctn_names');
  if (ctnNames) {
    for (const part of ctnNames.split(',')) push('container', part.trim().replace(/^\//, ''));
  }

  // kubernetes: namespace/pod, then the container inside it.
  const pod = str(metadata, 'pod_name');
  if (pod) {
    const ns = str(metadata, 'pod_namespace');
    push('pod', ns ? `${ns}/${pod}` : pod);
  }

  // nomad: job, then task.
  push('job', str(metadata, 'job_name'));
  push('task', str(metadata, 'task_name'));

  // swarm's ctn_name is the service's task container; containerd/kubernetes set a container name.
  const ctnName = str(metadata, 'ctn_name');
  if (ctnName) push(provider === 'swarm' ? 'service' : 'container', ctnName);

  return out;
}

/** Plain names, for search and compact display. */
export function workloadNames(metadata: Record<string, unknown> | null | undefined, provider = ''): string[] {
  return workloads(metadata, provider).map((w) => w.name);
}
