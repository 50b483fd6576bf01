/** What the fault proxy does to which request: rules, their validation and their matching. */
import type { IncomingHttpHeaders } from 'node:http';

/** A request as rules see it (the body is fully read). */
export interface ProxiedRequest {
  readonly method: string;
  /** Path and query string, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly operation: string;
}

/** A canned answer instead of the target's. */
export interface FaultResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface FaultRule {
  /** Only requests for this operation (see `operationOf`). */
  readonly operation?: string;
  /** Only requests for which this is true (with `operation`: both must hold). */
  readonly when?: (request: ProxiedRequest) => boolean;
  /** How many matching requests the rule applies to; then it is gone. Default: all of them. */
  readonly times?: number;
  /** Wait this long before answering (or before passing the request on, when there is no other effect). */
  readonly latencyMs?: number;
  /** Answer with this instead of asking the target. */
  readonly respond?: FaultResponse;
  /** With `respond`: a `Retry-After: <seconds>` header. */
  readonly retryAfterSeconds?: number;
  /** Reset the client's connection (TCP RST) instead of answering: the client sees ECONNRESET. */
  readonly reset?: boolean;
}

/** A rule once injected. */
export interface InjectedFault {
  /** How many requests it has been applied to so far. */
  applied(): number;
  /** Takes the rule out before its `times` are used up. */
  remove(): void;
}

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number;
  applied: number;
}

function validateRule(rule: FaultRule): void {
  const problems: string[] = [];
  const times = rule.times ?? Number.POSITIVE_INFINITY;
  if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times > 0))) {
    problems.push(`times must be a positive integer, not ${rule.times}`);
  }
  if (rule.latencyMs !== undefined && !(rule.latencyMs >= 0)) problems.push('latencyMs must be >= 0');
  if (rule.respond && rule.reset) problems.push('respond and reset exclude each other');
  if (rule.retryAfterSeconds !== undefined && !rule.respond) problems.push('retryAfterSeconds needs respond');
  if (rule.latencyMs === undefined && !rule.respond && !rule.reset) {
    problems.push('a rule needs an effect: latencyMs, respond or reset');
  }
  if (problems.length > 0) throw new Error(`invalid fault rule: ${problems.join('; ')}`);
}

/** The injected rules, in order; the first one matching a request is applied to it. */
export class FaultRules {
  readonly #active: ActiveRule[] = [];

  inject(rule: FaultRule): InjectedFault {
    validateRule(rule);
    const active: ActiveRule = { rule, remaining: rule.times ?? Number.POSITIVE_INFINITY, applied: 0 };
    this.#active.push(active);
    return {
      applied: () => active.applied,
      remove: () => this.#remove(active),
    };
  }

  clear(): void {
    this.#active.length = 0;
  }

  /** The rule to apply to `request`, counted as applied; undefined to pass it through untouched. */
  take(request: ProxiedRequest): FaultRule | undefined {
    const active = this.#active.find(
      ({ rule }) =>
        (rule.operation === undefined || rule.operation === request.operation) &&
        (rule.when === undefined || rule.when(request)),
    );
    if (!active) return undefined;
    active.applied++;
    active.remaining--;
    if (active.remaining <= 0) this.#remove(active);
    return active.rule;
  }

  #remove(active: ActiveRule): void {
    const index = this.#active.indexOf(active);
    if (index >= 0) this.#active.splice(index, 1);
  }
}
