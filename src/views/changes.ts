/** One change Keyless made, or tried to make, in a cloud: an audit-stream entry with its time. */
export interface CloudChange {
  /** RFC 3339. */
  time: string;
  provider: string;
  /** The CloudAccount's name. */
  account: string;
  /** identities.create, grants.update, identities.delete ... */
  operation: string;
  /** The Kubernetes object the change was made for. */
  owner: { namespace: string; name: string; uid: string };
  outcome: 'success' | 'retryable' | 'throttled' | 'terminal';
  error?: string;
}

/**
 * The last `limit` cloud changes this process made, oldest first: the audit stream as the
 * dashboard shows it beside each object. Bounded, so it costs the same at any uptime.
 */
export class RecentChanges {
  private readonly entries: CloudChange[] = [];

  constructor(private readonly limit = 2000) {}

  add(change: CloudChange): void {
    this.entries.push(change);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(): readonly CloudChange[] {
    return this.entries;
  }
}
