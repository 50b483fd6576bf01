import type { Principal, ProviderName } from '../api/index.js';

/** The annotation each cloud's SDK reads from a pod's ServiceAccount to find its identity. */
export const SERVICE_ACCOUNT_ANNOTATION: Record<ProviderName, string> = {
  aws: 'eks.amazonaws.com/role-arn',
  gcp: 'iam.gke.io/gcp-service-account',
  azure: 'azure.workload.identity/client-id',
};

export function serviceAccountAnnotation(
  provider: ProviderName,
  principal: Principal | undefined,
): { key: string; value: string } | undefined {
  const value =
    { aws: principal?.roleArn, gcp: principal?.email, azure: principal?.clientId }[provider] ?? principal?.id;
  return value ? { key: SERVICE_ACCOUNT_ANNOTATION[provider], value } : undefined;
}
