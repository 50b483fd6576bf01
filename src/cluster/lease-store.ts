import { isNotFound, type KubeClient } from '../kube-api/client.js';
import type { LeaseRecord, LeaseStore } from '../runtime/leader-election.js';
import { FIELD_MANAGER_QUERY } from './field-manager.js';
import { toMicroTime } from './micro-time.js';

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** One coordination.k8s.io/v1 Lease, read and written with optimistic concurrency. */
export class KubeLeaseStore implements LeaseStore {
  private readonly path: string;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly name: string,
  ) {
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  }

  async get(): Promise<LeaseRecord | undefined> {
    try {
      return toRecord(await this.client.request<Lease>('GET', `${this.path}/${this.name}`));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<LeaseRecord> {
    return toRecord(
      await this.client.request<Lease>('POST', this.path, {
        body: this.toLease(record),
        query: FIELD_MANAGER_QUERY,
      }),
    );
  }

  async update(record: LeaseRecord): Promise<LeaseRecord> {
    return toRecord(
      await this.client.request<Lease>('PUT', `${this.path}/${this.name}`, {
        body: this.toLease(record),
        query: FIELD_MANAGER_QUERY,
      }),
    );
  }

  private toLease(record: LeaseRecord): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        ...(record.resourceVersion ? { resourceVersion: record.resourceVersion } : {}),
      },
      spec: {
        holderIdentity: record.holderIdentity,
        leaseDurationSeconds: record.leaseDurationSeconds,
        acquireTime: toMicroTime(record.acquireTime),
        renewTime: toMicroTime(record.renewTime),
        leaseTransitions: record.leaseTransitions,
      },
    };
  }
}

function toRecord(lease: Lease): LeaseRecord {
  return {
    holderIdentity: lease.spec.holderIdentity ?? '',
    leaseDurationSeconds: lease.spec.leaseDurationSeconds ?? 15,
    acquireTime: lease.spec.acquireTime,
    renewTime: lease.spec.renewTime,
    leaseTransitions: lease.spec.leaseTransitions ?? 0,
    resourceVersion: lease.metadata.resourceVersion,
  };
}
