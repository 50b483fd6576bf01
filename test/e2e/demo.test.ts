import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeWithControlPlane } from '../support/control-plane/index.js';

const run = promisify(execFile);

describeWithControlPlane('npm run demo', () => {
  it('converges every example, prints where to look, and leaves nothing running', async () => {
    const { stdout, stderr } = await run('npx', ['tsx', 'scripts/demo.ts', '--exit'], {
      timeout: 170_000,
      // Any free port: another demo may hold the default one.
      env: { ...process.env, KEYLESS_DASHBOARD_ADDRESS: '127.0.0.1:0' },
    });
    // No warning from Node.js itself, such as the AWS SDK's on a Node.js it will stop supporting.
    expect(stderr).not.toMatch(/^\(node:\d+\) /m);
    const rows = stdout
      .split('\n')
      .filter((line) => /^(CloudAccount|WorkloadIdentity|IdentityBinding) /.test(line));
    expect(rows).toHaveLength(9);
    for (const line of rows) expect(line).toMatch(/\sTrue\s+True\s/);
    expect(stdout).toContain('kubectl --kubeconfig');
    expect(stdout).toMatch(/metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\//);
    expect(stdout).toContain('moto');
    expect(stdout).toMatch(
      /shop\/reports\s+True\s+True\s+kl-shop-reports-[0-9a-f]{8}@shop-prod-4821\.iam\.gserviceaccount\.com/,
    );
    expect(stdout).toMatch(/shop\/billing\s+True\s+True\s+[0-9a-f-]{36}/);
    expect(stdout).toContain('"iam.gke.io/gcp-service-account":"kl-shop-reports-');
    expect(stdout).toContain('"azure.workload.identity/client-id":');
    expect(stdout).toMatch(
      /shop\/orders-api\s+True\s+True\s+arn:aws:iam::123456789012:role\/keyless\/keyless-shop-orders-api-/,
    );
    expect(stdout).toContain('"eks.amazonaws.com/role-arn":"arn:aws:iam::123456789012:role/keyless/');
    expect(stdout).toContain('demo finished; everything is stopped.');
    const { stdout: processes } = await run('ps', ['-eo', 'args']);
    const workDir = /kubeconfig \/tmp\/(keyless-cp-[^/]+)\//.exec(stdout)?.[1];
    expect(workDir).toBeDefined();
    expect(processes).not.toContain(workDir);
  });
});
