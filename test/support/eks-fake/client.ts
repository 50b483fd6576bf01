import { EKSClient } from '@aws-sdk/client-eks';
import type { EksFake } from './server.js';

/** The real EKS client pointed at the fake, with static test credentials and no retries unless asked. */
export function eksClient(fake: EksFake, options: { region?: string; maxAttempts?: number } = {}): EKSClient {
  return new EKSClient({
    endpoint: fake.endpoint,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: options.maxAttempts ?? 1,
  });
}
