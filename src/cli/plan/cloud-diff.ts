import type { CloudAccount, Drift, IdentityBinding, WorkloadIdentity } from '../../api/index.js';
import { grantsEndAt } from '../../policy/expiry.js';
import { guardrailRefusal, namespaceAllowed } from '../../policy/guardrails.js';
import type { GrantRequest, ResolvedGrant } from '../../providers/provider.js';
import { ownerHash } from '../../providers/shared/ownership.js';
import {
  accountRequest,
  identityRequest,
  isBeingDeleted,
  ownerOf,
  policies,
  specPending,
} from '../../reconcilers/requests.js';
import { stateOf } from '../../views/index.js';
import { PLANNERS, type PlannedIdentity, plannedPrincipal } from './clouds.js';

/** What Keyless would do in the cloud now. */
export type Verdict =
  | 'none'
  | 'create'
  | 'update'
  | 'correct'
  | 'report'
  | 'refused'
  | 'delete'
  | 'retain'
  | 'remove'
  | 'observe';

export interface CloudDiff {
  verdict: Verdict;
  /** True when the cloud is not as the spec says (whether or not Keyless would change it). */
  differs: boolean;
  /** One sentence. */
  headline: string;
  drift: Drift[];
  /** The documents Keyless would send, for create and update. */
  planned?: { what: string; document: Record<string, unknown> };
  /** A binding's grants per resource, as status says they are and as they would be. */
  grants?: { resource: string; now?: string; planned?: string }[];
  /** Each problem of a refused binding, naming the grant and the guardrail rule. */
  refusals?: string[];
  /** Why it may not happen yet, what is approximate. */
  notes: string[];
}

export interface IdentityDiffInput {
  identity: WorkloadIdentity;
  account: CloudAccount;
  /** The operator's --cluster-name; unknown, the names it hashes are shown with `<hash>`. */
  clusterName: string | undefined;
}

export interface BindingDiffInput extends IdentityDiffInput {
  binding: IdentityBinding;
  /** The identity's other bindings, whose grants a shared policy must keep. */
  siblings: IdentityBinding[];
  now: number;
}

/** Stands in for an unknown cluster name; every hash of it is masked in what is shown. */
const UNKNOWN_CLUSTER = 'keyless-unknown-cluster';

export function identityDiff(input: IdentityDiffInput): CloudDiff {
  const { identity, account } = input;
  const drift = identity.status?.drift ?? [];
  const name = identity.status?.externalName ?? 'the cloud identity';
  const management = policies.management(identity);
  if (isBeingDeleted(identity)) {
    return policies.deletion(identity) === 'Delete' && management === 'Manage'
      ? diff('delete', true, `Keyless would delete ${name} once the identity's bindings are gone.`, drift)
      : diff(
          'retain',
          false,
          `Keyless would leave ${name} in the cloud (deletionPolicy ${policies.deletion(identity)}, managementPolicy ${management}).`,
          drift,
        );
  }
  if (management === 'ObserveOnly') return observeOnly(identity, drift);
  const namespace = identity.metadata.namespace ?? '';
  if (!namespaceAllowed(account.spec.guardrails, namespace)) {
    return diff(
      'refused',
      true,
      `Keyless would change nothing: CloudAccount ${account.metadata.name} does not allow namespace ${namespace}.`,
      drift,
    );
  }
  let planned: PlannedIdentity;
  try {
    planned = plannedIdentity(input);
  } catch (err) {
    return diff('refused', true, `Keyless would change nothing: ${(err as Error).message}.`, drift);
  }
  if (specPending(identity) || !identity.status?.principal) {
    const notes = [...stalledNotes(identity), ...clusterNotes(input)];
    const creating = !identity.status?.principal;
    const serviceAccounts = identity.spec.subjects.flatMap((s) =>
      s.serviceAccount ? [s.serviceAccount.name] : [],
    );
    const document = {
      ...planned.document,
      ...(serviceAccounts.length > 0
        ? {
            serviceAccounts: serviceAccounts.map((sa) => ({
              name: sa,
              annotations: { [planned.annotation.key]: planned.annotation.value },
            })),
          }
        : {}),
    };
    const verb = creating ? 'create' : `apply generation ${identity.metadata.generation} to`;
    return masked(
      {
        ...diff(creating ? 'create' : 'update', true, `Keyless would ${verb} ${planned.what}.`, drift),
        planned: { what: planned.what, document },
        notes,
      },
      input,
      [],
    );
  }
  return { ...driftDiff(drift, policies.drift(identity), name), notes: stalledNotes(identity) };
}

export function bindingDiff(input: BindingDiffInput): CloudDiff {
  const { binding, identity, account } = input;
  const drift = binding.status?.drift ?? [];
  const applied = binding.status?.grants ?? [];
  const management = policies.management(identity);
  if (isBeingDeleted(binding)) {
    return policies.deletion(identity) === 'Delete' && management === 'Manage'
      ? diff(
          'remove',
          applied.length > 0,
          'Keyless would remove the grants of this binding from the cloud.',
          drift,
        )
      : diff(
          'retain',
          false,
          `Keyless would leave the grants in the cloud (deletionPolicy ${policies.deletion(identity)}, managementPolicy ${management}).`,
          drift,
        );
  }
  if (management === 'ObserveOnly') return observeOnly(binding, drift);
  const endsAt = grantsEndAt(binding);
  if (endsAt && endsAt.getTime() <= input.now) {
    return applied.length > 0
      ? diff(
          'remove',
          true,
          `The grants ended at ${endsAt.toISOString()}: Keyless would remove them from the cloud.`,
          drift,
        )
      : diff(
          'none',
          false,
          `The grants ended at ${endsAt.toISOString()} and are no longer in the cloud.`,
          drift,
        );
  }
  const planner = PLANNERS[account.spec.provider];
  let grants: ResolvedGrant[];
  try {
    grants = planner.resolve(binding.spec.grants, accountRequest(account));
  } catch (err) {
    return diff('refused', true, `Keyless would change nothing: ${(err as Error).message}.`, drift);
  }
  const created = Date.parse(binding.metadata.creationTimestamp ?? '') || input.now;
  const refusal = guardrailRefusal(account.spec, grants, {
    lifetimeMs: endsAt ? endsAt.getTime() - created : undefined,
    identityResourceGroup: identity.spec.azure?.resourceGroup,
  });
  if (refusal) {
    return {
      ...diff(
        'refused',
        true,
        `Keyless would change nothing: CloudAccount ${account.metadata.name}'s guardrails refuse the grants (${refusal.reason}).`,
        drift,
      ),
      refusals: refusal.problems,
    };
  }

  const cluster = input.clusterName ?? UNKNOWN_CLUSTER;
  const notes = stalledNotes(binding);
  let identityPart: GrantRequest['identity'] = {
    owner: ownerOf(identity, cluster),
    externalName: identity.status?.externalName ?? '',
    principal: identity.status?.principal ?? {},
  };
  if (!identity.status?.externalName) {
    try {
      const planned = plannedIdentity(input);
      identityPart = {
        ...identityPart,
        externalName: planned.externalName,
        principal: plannedPrincipal(account.spec.provider, planned),
      };
    } catch (err) {
      return diff(
        'refused',
        true,
        `Keyless would change nothing: wi/${identity.metadata.name} cannot be created: ${(err as Error).message}.`,
        drift,
      );
    }
    notes.unshift(
      `The binding waits for wi/${identity.metadata.name}, which is not in the cloud yet; these grants follow once it is.`,
    );
  }
  const siblings = input.siblings
    .filter((other) => other.metadata.uid !== binding.metadata.uid && !isBeingDeleted(other))
    .filter((other) => (grantsEndAt(other)?.getTime() ?? Number.POSITIVE_INFINITY) > input.now)
    .flatMap((other) => {
      try {
        return planner.resolve(other.spec.grants, accountRequest(account));
      } catch {
        // A sibling with invalid grants has nothing in the cloud to protect.
        return [];
      }
    });
  let planned: ReturnType<typeof planner.grants>;
  try {
    planned = planner.grants({
      owner: ownerOf(binding, cluster),
      account: accountRequest(account),
      identity: identityPart,
      grants,
      expiresAt: endsAt,
      previous: applied,
      otherGrants: siblings,
    });
  } catch (err) {
    return diff('refused', true, `Keyless would change nothing: ${(err as Error).message}.`, drift);
  }
  if (specPending(binding) || !binding.status?.grants) {
    const creating = applied.length === 0;
    const now = new Map(applied.map((g) => [g.resource, g.summary]));
    const next = new Map(planned.applied.map((g) => [g.resource, g.summary]));
    return masked(
      {
        ...diff(
          creating ? 'create' : 'update',
          true,
          `Keyless would ${creating ? 'write' : 'rewrite'} the ${planned.what}.`,
          drift,
        ),
        planned: { what: planned.what, document: planned.document },
        notes: [...notes, ...clusterNotes(input)],
        grants: [...new Set([...now.keys(), ...next.keys()])].map((resource) => ({
          resource,
          ...(now.has(resource) ? { now: now.get(resource) } : {}),
          ...(next.has(resource) ? { planned: next.get(resource) } : {}),
        })),
      },
      input,
      [binding.metadata.name],
    );
  }
  return { ...driftDiff(drift, policies.drift(identity), 'the grants'), notes };
}

function plannedIdentity(input: IdentityDiffInput): PlannedIdentity {
  const request = identityRequest(input.identity, input.account, input.clusterName ?? UNKNOWN_CLUSTER);
  return PLANNERS[input.account.spec.provider].identity(request);
}

function driftDiff(drift: Drift[], policy: 'Correct' | 'Report', what: string): CloudDiff {
  if (drift.length === 0)
    return diff('none', false, `No changes: ${what} matched the spec when Keyless last looked.`, drift);
  const fields = `${drift.length} field${drift.length > 1 ? 's' : ''}`;
  return policy === 'Correct'
    ? diff(
        'correct',
        true,
        `The cloud differs from the spec in ${fields}: Keyless would put ${drift.length > 1 ? 'them' : 'it'} back at its next reconcile.`,
        drift,
      )
    : diff(
        'report',
        true,
        `The cloud differs from the spec in ${fields}; driftPolicy Report, so Keyless only reports ${drift.length > 1 ? 'them' : 'it'}.`,
        drift,
      );
}

function observeOnly(object: WorkloadIdentity | IdentityBinding, drift: Drift[]): CloudDiff {
  const state = stateOf(object);
  const missing = state.reason === 'NotFoundInCloud';
  return diff(
    'observe',
    missing || drift.length > 0,
    `managementPolicy ObserveOnly: Keyless changes nothing in the cloud${missing ? `; it found nothing there (${state.message})` : drift.length > 0 ? '; it reports these differences' : ', and found it as the spec says'}.`,
    drift,
  );
}

function stalledNotes(object: WorkloadIdentity | IdentityBinding): string[] {
  const state = stateOf(object);
  if (state.state !== 'Stalled' && state.state !== 'Failing') return [];
  return [
    `It is ${state.state} (${state.reason}): ${state.message} ` +
      (state.state === 'Stalled'
        ? 'Keyless will not get there until that is fixed.'
        : 'Keyless keeps retrying.'),
  ];
}

function clusterNotes(input: IdentityDiffInput): string[] {
  return input.clusterName
    ? []
    : [
        "Names marked <hash> hash the operator's --cluster-name; pass --cluster-name (or set KEYLESS_CLUSTER_NAME) to see them in full.",
      ];
}

/**
 * Without the cluster's name, every hash of the stand-in and the stand-in itself are masked in
 * what is shown (the drift, read from status, has none).
 */
function masked(result: CloudDiff, input: IdentityDiffInput, moreNames: string[]): CloudDiff {
  if (input.clusterName) return result;
  const namespace = input.identity.metadata.namespace ?? '';
  const names = [
    input.identity.metadata.name,
    ...moreNames,
    ...input.identity.spec.subjects.flatMap((s) => (s.serviceAccount ? [s.serviceAccount.name] : [])),
  ];
  const mask = (text: string) => {
    let out = text;
    for (const name of names)
      out = out.replaceAll(ownerHash({ cluster: UNKNOWN_CLUSTER, namespace, name }), '<hash>');
    return out.replaceAll(UNKNOWN_CLUSTER, "<the operator's --cluster-name>");
  };
  const { drift, ...shown } = result;
  return { ...(JSON.parse(mask(JSON.stringify(shown))) as Omit<CloudDiff, 'drift'>), drift };
}

function diff(verdict: Verdict, differs: boolean, headline: string, drift: Drift[]): CloudDiff {
  return { verdict, differs, headline, drift, notes: [] };
}
