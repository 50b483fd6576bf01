import { API_PREFIX } from './api-types.js';

/** An object's path under /api/v1: the JSON API's detail, and (after #) the dashboard's route to it. */
export function objectPath(kind: string, namespace: string | undefined, name: string): string {
  const n = encodeURIComponent(name);
  if (kind === 'CloudAccount') return `${API_PREFIX}/cloudaccounts/${n}`;
  const plural = kind === 'WorkloadIdentity' ? 'workloadidentities' : 'identitybindings';
  return `${API_PREFIX}/namespaces/${encodeURIComponent(namespace ?? '')}/${plural}/${n}`;
}
