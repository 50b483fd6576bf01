import type { Drift, FunctionStatus } from '../../api/index.js';
import type { IdentityRequest } from '../provider.js';

/** What reading one Cloud Run service gave: `serviceAccount` is its revision template's ('' for the default). */
export type ServiceReading =
  | { name: string; kind: 'found'; serviceAccount: string }
  | { name: string; kind: 'missing' }
  | { name: string; kind: 'forbidden'; message: string };

export const GET_PERMISSION = 'run.services.get';
export const UPDATE_PERMISSION = 'run.services.update';
export const ACT_AS_PERMISSION = 'iam.serviceAccounts.actAs';

/** The Cloud Run services the identity's GCPCloudRunFunction subject names, in spec order, once each. */
export function cloudRunServicesOf(request: IdentityRequest): string[] {
  const names = request.spec.subjects.flatMap((s) =>
    s.serverless?.platform === 'GCPCloudRunFunction' ? (s.serverless.services ?? []) : [],
  );
  return [...new Set(names)];
}

/** The drift field of a service's service account. */
export function serviceAccountField(name: string): string {
  return `services[${name}].serviceAccount`;
}

function runsAs(serviceAccount: string): string {
  return serviceAccount === '' ? 'the default compute service account' : serviceAccount;
}

/**
 * Status and drift from what was read: a service whose revision template names another service
 * account differs from the spec. If Keyless attached it before (`attachedBefore`, from status),
 * that is out-of-band drift (put back under driftPolicy Correct, listed under Report); otherwise
 * the spec is not applied yet, and its field is `pending`. A missing or unreadable service is
 * reported, never drift, since no update can fix it.
 */
export function serviceStates(
  email: string,
  readings: readonly ServiceReading[],
  attachedBefore: ReadonlySet<string>,
): { states: FunctionStatus[]; drift: Drift[]; pending: string[] } {
  const states: FunctionStatus[] = [];
  const drift: Drift[] = [];
  const pending: string[] = [];
  for (const reading of readings) {
    if (reading.kind === 'missing') {
      states.push({
        arn: reading.name,
        state: 'Missing',
        message: `Cloud Run service ${reading.name} does not exist.`,
      });
    } else if (reading.kind === 'forbidden') {
      states.push({ arn: reading.name, state: 'Forbidden', message: reading.message });
    } else if (reading.serviceAccount === email) {
      states.push({ arn: reading.name, role: email, state: 'Attached' });
    } else {
      const found = runsAs(reading.serviceAccount);
      states.push({
        arn: reading.name,
        role: found,
        state: 'Drifted',
        message: `Cloud Run service ${reading.name} runs as ${found}, not ${email}.`,
      });
      drift.push({ field: serviceAccountField(reading.name), wanted: email, found });
      if (!attachedBefore.has(reading.name)) pending.push(serviceAccountField(reading.name));
    }
  }
  return { states, drift, pending };
}

/** The services an update must point at the service account: those whose service account is listed as drift. */
export function servicesToUpdate(names: readonly string[], drift: readonly Drift[]): string[] {
  const fields = new Set(drift.map((d) => d.field));
  return names.filter((name) => fields.has(serviceAccountField(name)));
}

/** Forbidden: the message names the service and the permission the operator lacks. */
export function forbiddenMessage(name: string, permission: string, email: string): string {
  const target = permission === ACT_AS_PERMISSION ? `service account ${email}` : name;
  const doing = permission === GET_PERMISSION ? 'read' : 'change';
  return `The operator may not ${doing} Cloud Run service ${name}: it lacks ${permission} on ${target}.`;
}

/** Which permission a PERMISSION_DENIED answer to services.patch is about. */
export function updatePermissionDenied(message: string): string {
  return message.includes(ACT_AS_PERMISSION) ? ACT_AS_PERMISSION : UPDATE_PERMISSION;
}
