import { describe, expect, it } from 'vitest';
import { workloadNames, workloads } from './workloads';

describe('workloads', () => {
  it('splits docker ctn_names and strips leading slashes', () => {
    expect(workloads({ ctn_names: 'web,web-proxy', ctn_id: '4f1c' }, 'docker')).toEqual([
      { kind: 'container', name: 'web' },
      { kind: 'container', name: 'web-proxy' },
    ]);
    expect(workloadNames({ ctn_names: '/a, /b ,,' }, 'docker')).toEqual(['a', 'b']);
  });

  it('reads swarm ctn_name as a service', () => {
    expect(workloads({ svc_id: 'q9', ctn_name: 'homeassistant_app' }, 'swarm')).toEqual([{ kind: 'service', name: 'homeassistant_app' }]);
  });

  it('shows kubernetes pods as namespace/pod, then the container', () => {
    expect(workloads({ pod_name: 'prometheus-0', pod_namespace: 'monitoring', ctn_name: 'prometheus' }, 'kubernetes')).toEqual([
      { kind: 'pod', name: 'monitoring/prometheus-0' },
      { kind: 'container', name: 'prometheus' },
    ]);
    expect(workloadNames({ pod_name: 'p' }, 'kubernetes')).toEqual(['p']);
  });

  it('reads containerd ctn_name', () => {
    expect(workloads({ ctn_id: 'redis-cache', ctn_name: 'redis-cache', ctn_namespace: 'default' }, 'containerd')).toEqual([
      { kind: 'container', name: 'redis-cache' },
    ]);
  });

  it('reads nomad job and task, without repeating equal names', () => {
    expect(workloads({ job_name: 'grafana', task_name: 'grafana' }, 'nomad')).toEqual([{ kind: 'job', name: 'grafana' }]);
    expect(workloads({ job_name: 'monitoring', task_name: 'grafana' }, 'nomad')).toEqual([
      { kind: 'job', name: 'monitoring' },
      { kind: 'task', name: 'grafana' },
    ]);
  });

  it('returns nothing for file provider, null or non-string metadata', () => {
    expect(workloads({ env: 'test' }, 'file')).toEqual([]);
    expect(workloads(null, 'file')).toEqual([]);
    expect(workloads({ ctn_names: 42, ctn_name: { x: 1 } }, 'docker')).toEqual([]);
  });
});
