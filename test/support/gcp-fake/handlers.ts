/** Every operation's handler, by operation name. */
import { CLOUD_RUN_HANDLERS } from './cloud-run.js';
import type { Handler } from './context.js';
import { IAM_V1_HANDLERS } from './iam-v1.js';
import { IAM_V2_HANDLERS } from './iam-v2.js';
import { POLICY_ANALYZER_HANDLERS } from './policy-analyzer.js';
import { RESOURCE_MANAGER_HANDLERS } from './resource-manager.js';
import type { GcpOperation } from './routing.js';

export const HANDLERS: Readonly<Record<GcpOperation, Handler>> = {
  ...IAM_V1_HANDLERS,
  ...RESOURCE_MANAGER_HANDLERS,
  ...IAM_V2_HANDLERS,
  ...CLOUD_RUN_HANDLERS,
  ...POLICY_ANALYZER_HANDLERS,
};
