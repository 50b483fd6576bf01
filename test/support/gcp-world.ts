import type { CloudBackend, CloudWorldOptions } from './cloud-world.js';
import { type GcpFake, type GcpFakeOptions, startGcpFake } from './gcp-fake/index.js';

export const GCP_ACCOUNT_NAME = 'gcp-test';

export interface GcpProject {
  projectId: string;
  projectNumber: string;
}

export interface GcpBackend extends CloudBackend {
  fake: GcpFake;
}

/**
 * The Google Cloud wire-level fake serving `project` (and `options.projects` besides), and a
 * CloudAccount on it with the project's GKE pool, for describeWithCloud; the Google Cloud suites
 * share it. `spec` adds to the CloudAccount's spec (guardrails, resyncInterval).
 */
export function gcpWorld(
  project: GcpProject,
  spec: Record<string, unknown> = {},
  options: Partial<GcpFakeOptions> = {},
): CloudWorldOptions<GcpBackend> {
  return {
    accountName: GCP_ACCOUNT_NAME,
    async start() {
      const fake = await startGcpFake({ ...options, projects: [project, ...(options.projects ?? [])] });
      return { fake, endpoint: fake.endpoint, secretData: { access_token: 'test' }, stop: () => fake.stop() };
    },
    accountSpec: () => ({
      provider: 'gcp',
      ...spec,
      gcp: {
        ...project,
        workloadIdentityPool: `${project.projectId}.svc.id.goog`,
        ...(spec.gcp as Record<string, unknown> | undefined),
      },
    }),
  };
}
