/**
 * Faults injected into the fake: canned error answers (throttling with Retry-After, 5xx, anything)
 * for the next n requests of an operation, permissions taken away from the caller, and APIs not
 * enabled in the project.
 */
import { GcpError, resourceExhausted, STATUS_NAMES, serverError } from './errors.js';
import type { GcpOperation } from './routing.js';

/** A request as rules see it. */
export interface GcpRequest {
  readonly method: string;
  /** Path and query string, as sent. */
  readonly url: string;
  readonly operation: GcpOperation;
  readonly body: string;
}

export interface GcpFaultRule {
  /** Only requests for this operation. */
  readonly operation?: GcpOperation;
  /** Only requests for which this is true (with `operation`: both must hold). */
  readonly when?: (request: GcpRequest) => boolean;
  /** How many matching requests the rule answers; then it is gone. Default: all of them. */
  readonly times?: number;
  /** The HTTP status of the answer (4xx or 5xx). */
  readonly status: number;
  /** The `error.status` of the answer; default: Google's for `status` (429 RESOURCE_EXHAUSTED, ...). */
  readonly grpcStatus?: string;
  /** Default: what Google says for that status. */
  readonly message?: string;
  /** Adds `Retry-After: <seconds>`. */
  readonly retryAfterSeconds?: number;
}

/** A rule once injected. */
export interface InjectedFault {
  /** How many requests it has answered so far. */
  applied(): number;
  /** Takes the rule out before its `times` are used up. */
  remove(): void;
}

interface ActiveRule {
  readonly rule: GcpFaultRule;
  remaining: number;
  applied: number;
}

function validate(rule: GcpFaultRule): void {
  const problems: string[] = [];
  const times = rule.times ?? Number.POSITIVE_INFINITY;
  if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times > 0))) {
    problems.push(`times must be a positive integer, not ${rule.times}`);
  }
  if (!(Number.isInteger(rule.status) && rule.status >= 400 && rule.status <= 599)) {
    problems.push(`status must be an HTTP error status (400 to 599), not ${rule.status}`);
  }
  if (rule.grpcStatus === undefined && STATUS_NAMES[rule.status] === undefined && rule.status < 500) {
    problems.push(`no canonical status for HTTP ${rule.status}: set grpcStatus`);
  }
  if (
    rule.retryAfterSeconds !== undefined &&
    !(Number.isInteger(rule.retryAfterSeconds) && rule.retryAfterSeconds >= 0)
  ) {
    problems.push('retryAfterSeconds must be a whole number of seconds >= 0');
  }
  if (problems.length > 0) throw new Error(`invalid gcp-fake fault rule: ${problems.join('; ')}`);
}

/** The error a rule answers with. */
function errorFor(rule: GcpFaultRule, service: string): GcpError {
  const headers: Record<string, string> =
    rule.retryAfterSeconds === undefined ? {} : { 'retry-after': String(rule.retryAfterSeconds) };
  if (rule.status === 429 && rule.grpcStatus === undefined) {
    return resourceExhausted(service, rule.retryAfterSeconds, rule.message);
  }
  if (rule.status >= 500 && rule.grpcStatus === undefined) {
    const error = serverError(rule.status, rule.message);
    return new GcpError(error.httpStatus, error.message, { status: error.status, headers });
  }
  return new GcpError(rule.status, rule.message ?? `Injected error (HTTP ${rule.status}).`, {
    ...(rule.grpcStatus ? { status: rule.grpcStatus } : {}),
    headers,
  });
}

export class GcpFaults {
  readonly #rules: ActiveRule[] = [];
  readonly #denied = new Set<string>();
  readonly #disabledApis = new Set<string>();

  inject(rule: GcpFaultRule): InjectedFault {
    validate(rule);
    const active: ActiveRule = { rule, remaining: rule.times ?? Number.POSITIVE_INFINITY, applied: 0 };
    this.#rules.push(active);
    return { applied: () => active.applied, remove: () => this.#remove(active) };
  }

  /** The error for `request` from the first matching rule (counted as applied), or undefined. */
  take(request: GcpRequest, service: string): GcpError | undefined {
    const active = this.#rules.find(
      ({ rule }) =>
        (rule.operation === undefined || rule.operation === request.operation) &&
        (rule.when === undefined || rule.when(request)),
    );
    if (!active) return undefined;
    active.applied++;
    active.remaining--;
    if (active.remaining <= 0) this.#remove(active);
    return errorFor(active.rule, service);
  }

  deny(permission: string): void {
    this.#denied.add(permission);
  }

  allow(permission: string): void {
    this.#denied.delete(permission);
  }

  isDenied(permission: string): boolean {
    return this.#denied.has(permission);
  }

  disableApi(api: string): void {
    this.#disabledApis.add(api);
  }

  enableApi(api: string): void {
    this.#disabledApis.delete(api);
  }

  isDisabled(api: string): boolean {
    return this.#disabledApis.has(api);
  }

  clear(): void {
    this.#rules.length = 0;
    this.#denied.clear();
    this.#disabledApis.clear();
  }

  #remove(active: ActiveRule): void {
    const index = this.#rules.indexOf(active);
    if (index >= 0) this.#rules.splice(index, 1);
  }
}
