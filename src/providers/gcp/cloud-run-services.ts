import type { IdentityRequest } from '../provider.js';
import type { FunctionPlatform } from '../shared/attached-functions.js';

/** Cloud Run services, each running as its revision template's service account. */
export const CLOUD_RUN_SERVICES: FunctionPlatform = {
  noun: 'Cloud Run service',
  field: (name) => `services[${name}].serviceAccount`,
  // A revision template that names none runs as the project's default compute service account.
  describe: (email) => (email === '' ? 'the default compute service account' : email),
  permissions: {
    read: 'run.services.get',
    update: 'run.services.update',
    delegate: 'iam.serviceAccounts.actAs',
  },
  delegateTarget: (email) => `service account ${email}`,
};

/** The Cloud Run services the identity's GCPCloudRunFunction subject names, in spec order, once each. */
export function cloudRunServicesOf(request: IdentityRequest): string[] {
  const names = request.spec.subjects.flatMap((s) =>
    s.serverless?.platform === 'GCPCloudRunFunction' ? (s.serverless.services ?? []) : [],
  );
  return [...new Set(names)];
}
