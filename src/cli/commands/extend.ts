import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../../api/index.js';
import { parseDuration } from '../../policy/duration.js';
import { grantsEndAt } from '../../policy/expiry.js';
import type { CommandContext } from '../command-context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { isConflict } from '../keyless-api.js';
import { shortRef } from '../object-ref.js';
import { structured } from '../render/structured.js';
import { duration, relative } from '../render/time.js';

/** Attempts when the binding changes between reading and writing it. */
const ATTEMPTS = 3;

export interface Extension {
  namespace: string;
  name: string;
  /** When the grants ended or were to end before (RFC 3339). */
  previousEnd: string | undefined;
  expiresAt: string;
  account: string;
  maxGrantDuration?: string;
  /** The latest end the account's maxGrantDuration allows, counted from the binding's creation. */
  latestAllowed?: string;
}

/**
 * `extend ib/NAME --by D`: the grants end D from now, as Argo CD's extend action sets it
 * (spec.expiresAt, replacing spec.duration), and only within the account's maxGrantDuration
 * counted from the binding's creation, as the operator judges it. Refused (exit 1) beyond it, for a
 * binding that is not temporary, or when the grants already end later.
 */
export async function extend(ctx: CommandContext): Promise<ExitCode> {
  const { options, session } = ctx;
  const target = options.target;
  if (!target || options.byMs === undefined)
    throw new CliError('extend needs ib/NAME --by DURATION', EXIT.usage);
  for (let attempt = 1; ; attempt++) {
    const binding = await ctx.api.get<IdentityBinding>('IdentityBinding', session.namespace, target.name);
    const extension = await plan(ctx, binding, options.byMs);
    try {
      await ctx.api.mergePatch('IdentityBinding', session.namespace, target.name, {
        metadata: { resourceVersion: binding.metadata.resourceVersion },
        spec: { expiresAt: extension.expiresAt, duration: null },
      });
    } catch (err) {
      if (isConflict(err) && attempt < ATTEMPTS) continue;
      throw err;
    }
    if (options.output !== 'text') {
      ctx.stdout(structured(options.output, extension));
    } else {
      const now = ctx.now();
      const before = extension.previousEnd
        ? ` (they ${Date.parse(extension.previousEnd) <= now ? 'ended' : 'were to end'} at ${extension.previousEnd})`
        : '';
      const bound = extension.latestAllowed
        ? `; CloudAccount ${extension.account}'s maxGrantDuration ${extension.maxGrantDuration} allows them until ${extension.latestAllowed}`
        : `; CloudAccount ${extension.account} sets no maxGrantDuration`;
      ctx.stdout(
        `${shortRef('IdentityBinding', target.name)}: the grants now end at ${extension.expiresAt}, ${relative(extension.expiresAt, now)}${before}${bound}.\n`,
      );
    }
    return EXIT.ok;
  }
}

async function plan(ctx: CommandContext, binding: IdentityBinding, byMs: number): Promise<Extension> {
  const ref = shortRef('IdentityBinding', binding.metadata.name);
  if (!binding.spec.expiresAt && !binding.spec.duration) {
    throw refused(
      `${ref} is not temporary: only a binding with spec.expiresAt or spec.duration can be extended`,
    );
  }
  const now = ctx.now();
  // Whole seconds, as Argo CD's extend action writes them.
  const ends = Math.floor((now + byMs) / 1000) * 1000;
  const expiresAt = new Date(ends).toISOString().replace('.000Z', 'Z');
  const previousEnd = binding.status?.expiresAt ?? endOf(binding);
  if (previousEnd && Date.parse(previousEnd) > ends) {
    throw refused(`the grants of ${ref} already end at ${previousEnd}, after ${expiresAt}`);
  }

  const namespace = binding.metadata.namespace ?? '';
  const identityName = binding.spec.identityRef.name;
  const identity = await ctx.api.tryGet<WorkloadIdentity>('WorkloadIdentity', namespace, identityName);
  if (!identity.ok) throw checkImpossible(`wi/${identityName}`, identity.why);
  const accountName = identity.value.spec.accountRef.name;
  const account = await ctx.api.tryGet<CloudAccount>('CloudAccount', undefined, accountName);
  if (!account.ok) throw checkImpossible(`ca/${accountName}`, account.why);

  const max = account.value.spec.guardrails?.maxGrantDuration;
  const base = {
    namespace,
    name: binding.metadata.name,
    previousEnd,
    expiresAt,
    account: accountName,
  };
  if (!max) return base;
  const created = Date.parse(binding.metadata.creationTimestamp ?? '');
  const latest = new Date(created + parseDuration(max));
  const latestAllowed = latest.toISOString().replace('.000Z', 'Z');
  if (ends > latest.getTime()) {
    const room = latest.getTime() - now;
    const hint =
      room > 0
        ? `; --by ${duration(room >= 60_000 ? Math.floor(room / 60_000) * 60_000 : room)} at most`
        : '; that time has passed: create a new binding instead';
    throw refused(
      `${ref} would last ${duration(ends - created)} from its creation at ${binding.metadata.creationTimestamp}, beyond ` +
        `CloudAccount ${accountName}'s maxGrantDuration ${max}: the latest end it allows is ${latestAllowed}${hint}`,
    );
  }
  return { ...base, maxGrantDuration: max, latestAllowed };
}

function endOf(binding: IdentityBinding): string | undefined {
  try {
    return grantsEndAt(binding)?.toISOString();
  } catch {
    // An unreadable duration: the API server refuses one; nothing to compare with.
    return undefined;
  }
}

function refused(message: string): CliError {
  return new CliError(`refused: ${message}`, EXIT.findings);
}

function checkImpossible(what: string, why: string): CliError {
  return new CliError(
    `cannot check the account's maxGrantDuration, so nothing was changed: reading ${what} failed: ${why}`,
    EXIT.denied,
  );
}
