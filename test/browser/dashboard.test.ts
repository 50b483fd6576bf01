/**
 * The dashboard in Debian's Chromium (playwright-core), served by the operator running on the real
 * API server with the real AWS provider on moto, asking for a token (--dashboard-auth=token): the
 * examples with their states, attention first; filters and search; drift made out of band showing
 * up live; a binding refused by an escalation guardrail under attention with its rule; what two
 * ServiceAccounts with different RBAC see, and that one without any sees nothing; axe-core's
 * accessibility checks; the keyboard; the Content-Security-Policy; screenshots.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient, TagRoleCommand } from '@aws-sdk/client-iam';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/dashboard/server.js';
import { AWS_ACCOUNT_NAME, describeWithAws, motoRoleName } from '../support/aws-harness.js';
import { chromiumAvailability, shouldSkipBrowserTests } from '../support/chromium.js';
import { loadExamples } from '../support/examples.js';
import { identityBinding, waitForCondition, workloadIdentity } from '../support/keyless-objects.js';
import { apply, type Manifest } from '../support/kube-manifests.js';
import { awsClientConfig } from '../support/moto/index.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** KEYLESS_SCREENSHOTS=docs writes the README's screenshots; by default they go to a temporary folder. */
const SCREENSHOTS = process.env.KEYLESS_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'keyless-screenshots-'));

/** The AWS examples, pointed at the suite's account on moto. */
function awsExamples(): Manifest[] {
  const docs = loadExamples().map((e) => e.object as Manifest);
  const identities = docs.filter(
    (d) =>
      d.kind === 'WorkloadIdentity' &&
      (d.spec as { accountRef: { name: string } }).accountRef.name === 'aws-prod',
  );
  const names = new Set(identities.map((d) => d.metadata.name));
  const bindings = docs.filter(
    (d) =>
      d.kind === 'IdentityBinding' &&
      names.has((d.spec as { identityRef: { name: string } }).identityRef.name),
  );
  return [...identities, ...bindings].map((d) =>
    d.kind === 'WorkloadIdentity'
      ? { ...d, spec: { ...(d.spec as object), accountRef: { name: AWS_ACCOUNT_NAME } } }
      : d,
  );
}

describe.skipIf(shouldSkipBrowserTests())('the dashboard in Chromium', () => {
  describeWithAws(
    'on the real operator and API server, AWS on moto',
    (world) => {
      let browser: Browser | undefined;
      const tokens = new Map<string, string>();
      const url = () => `http://127.0.0.1:${world.operator().dashboardPort}/`;

      /** A ServiceAccount in keyless-system bound to `rules` (cluster-wide, or in `namespaces`), and a token of it. */
      async function viewer(name: string, rules: unknown[], namespaces?: string[]): Promise<string> {
        const admin = world.admin();
        await apply(admin, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name, namespace: 'keyless-system' },
        });
        const subject = [{ kind: 'ServiceAccount', name, namespace: 'keyless-system' }];
        if (namespaces) {
          for (const namespace of namespaces) {
            await apply(admin, {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'Role',
              metadata: { name, namespace },
              rules,
            });
            await apply(admin, {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'RoleBinding',
              metadata: { name, namespace },
              roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
              subjects: subject,
            });
          }
        } else if (rules.length > 0) {
          await apply(admin, {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name },
            rules,
          });
          await apply(admin, {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
            subjects: subject,
          });
        }
        const review = await admin.request<{ status: { token: string } }>(
          'POST',
          `/api/v1/namespaces/keyless-system/serviceaccounts/${name}/token`,
          {
            body: {
              apiVersion: 'authentication.k8s.io/v1',
              kind: 'TokenRequest',
              spec: { expirationSeconds: 3600 },
            },
          },
        );
        return review.status.token;
      }

      const LIST_ALL = [
        {
          apiGroups: ['keyless.dev'],
          resources: ['cloudaccounts', 'workloadidentities', 'identitybindings'],
          verbs: ['list'],
        },
      ];
      const LIST_NAMESPACED = [
        {
          apiGroups: ['keyless.dev'],
          resources: ['workloadidentities', 'identitybindings'],
          verbs: ['list'],
        },
      ];

      async function signedIn(
        user: string,
      ): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
        if (!browser) throw new Error('no browser');
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const violations: string[] = [];
        await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
        await page.addInitScript(
          "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
        );
        await page.goto(url());
        await page.getByLabel('Bearer token').fill(tokens.get(user) ?? '');
        await page.getByRole('button', { name: 'Sign in' }).click();
        return { context, page, violations };
      }

      async function axeViolations(page: Page): Promise<string[]> {
        await page.evaluate(AXE);
        const result = (await page.evaluate('axe.run()')) as {
          violations: { id: string; nodes: { target: string[] }[] }[];
        };
        return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      }

      const rowNames = async (page: Page) =>
        page.locator('table.objects tbody th[scope=row]').allInnerTexts();

      beforeAll(async () => {
        const availability = chromiumAvailability();
        if (availability.kind === 'unavailable') throw new Error(availability.reason);
        browser = await chromium.launch({ executablePath: availability.path, args: ['--no-sandbox'] });
        const admin = world.admin();
        await apply(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } });
        for (const example of awsExamples()) await apply(admin, example);
        await apply(
          admin,
          workloadIdentity('reporter', AWS_ACCOUNT_NAME, { driftPolicy: 'Report', tags: { team: 'shop' } }),
        );
        await apply(
          admin,
          identityBinding(
            'reporter-invoices-8h',
            'reporter',
            [{ resource: 'arn:aws:s3:::shop-invoices', access: 'read' }],
            { duration: '8h' },
          ),
        );
        await apply(
          admin,
          identityBinding('orders-pass-role', 'orders-api', [{ resource: '*', actions: ['iam:PassRole'] }]),
        );
        await apply(admin, workloadIdentity('ledger', AWS_ACCOUNT_NAME, {}, 'payments'));
        await apply(
          admin,
          identityBinding(
            'ledger-reports',
            'ledger',
            [{ resource: 'arn:aws:s3:::payments-reports', access: 'write' }],
            {},
            'payments',
          ),
        );
        for (const [identity, namespace] of [
          ['orders-api', 'shop'],
          ['reporter', 'shop'],
          ['ledger', 'payments'],
        ] as const) {
          await waitForCondition(
            admin,
            workloadIdentity(identity, AWS_ACCOUNT_NAME, {}, namespace),
            'Ready',
            { status: 'True' },
          );
        }
        await waitForCondition(admin, identityBinding('orders-pass-role', 'orders-api', []), 'Synced', {
          status: 'False',
          reason: 'EscalationRefused',
        });
        tokens.set('admin', await viewer('dashboard-admin', LIST_ALL));
        tokens.set('shop', await viewer('shop-viewer', LIST_NAMESPACED, ['shop']));
        tokens.set('payments', await viewer('payments-viewer', LIST_NAMESPACED, ['payments']));
        tokens.set('nobody', await viewer('nobody', []));
      });

      afterAll(async () => {
        await browser?.close();
      });

      it('shows the examples with their states, what needs attention first, and the refused grant with its rule', async () => {
        const { context, page, violations } = await signedIn('admin');
        const started = Date.now();
        await page.locator('ul.attention li').first().waitFor();
        const firstRender = (await page.evaluate('performance.now()')) as number;
        console.log(
          `[dashboard] first render ${Math.round(firstRender)} ms after navigation (sign-in included), ${Date.now() - started} ms after sign-in`,
        );
        const attention = page.locator('ul.attention li');
        await expect.poll(() => attention.count()).toBe(2);
        const stalled = attention.nth(0);
        expect(await stalled.innerText()).toMatch(
          /Stalled[\s\S]*shop\/orders-pass-role[\s\S]*EscalationRefused/,
        );
        expect(await stalled.locator('.message').innerText()).toContain('iam:PassRole');
        expect(await attention.nth(1).innerText()).toMatch(
          /Ends soon[\s\S]*shop\/reporter-invoices-8h[\s\S]*ends in 8 h/,
        );
        expect(await rowNames(page)).toEqual([
          AWS_ACCOUNT_NAME,
          'payments/ledger',
          'shop/orders-api',
          'shop/reporter',
          'payments/ledger-reports',
          'shop/orders-pass-role',
          'shop/orders-read-invoices',
          'shop/reporter-invoices-8h',
        ]);
        const state = (name: string) =>
          page.locator('table.objects tbody tr', { hasText: name }).first().getAttribute('data-state');
        expect(await state('shop/orders-api')).toBe('Ready');
        expect(await state('shop/orders-read-invoices')).toBe('Ready');
        expect(await state('shop/orders-pass-role')).toBe('Stalled');
        expect(await page.locator('.user').innerText()).toBe(
          'system:serviceaccount:keyless-system:dashboard-admin',
        );
        expect(await axeViolations(page)).toEqual([]);
        await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-attention.png'), fullPage: true });
        expect(violations).toEqual([]);
        await context.close();
      });

      it('filters by namespace, kind, state and account, and searches by name or principal', async () => {
        const { context, page } = await signedIn('admin');
        await page.locator('table.objects').waitFor();
        await page.getByLabel('Namespace').selectOption('payments');
        await expect.poll(() => rowNames(page)).toEqual(['payments/ledger', 'payments/ledger-reports']);
        await page.getByLabel('Kind').selectOption('IdentityBinding');
        await expect.poll(() => rowNames(page)).toEqual(['payments/ledger-reports']);
        await page.getByLabel('Namespace').selectOption('');
        await page.getByLabel('State').selectOption('Stalled');
        await expect.poll(() => rowNames(page)).toEqual(['shop/orders-pass-role']);
        await page.getByLabel('State').selectOption('');
        await page.getByLabel('Kind').selectOption('');
        await page.getByLabel('Account').selectOption(AWS_ACCOUNT_NAME);
        await page
          .getByLabel('Name or principal')
          .fill(motoRoleName('ledger', world.controlPlane().issuerUrl, 'payments'));
        await expect.poll(() => rowNames(page)).toEqual(['payments/ledger', 'payments/ledger-reports']);
        await page.getByLabel('Name or principal').fill('ORDERS-READ');
        await expect.poll(() => rowNames(page)).toEqual(['shop/orders-read-invoices']);
        expect(page.url()).toContain('search=ORDERS-READ');
        await context.close();
      });

      it('shows an out-of-band change under driftPolicy Report as drift, live, and a new object within moments', async () => {
        const { context, page, violations } = await signedIn('admin');
        await page.locator('table.objects').waitFor();
        // A new object reaches the open page through the event stream, without a reload.
        const created = Date.now();
        await apply(world.admin(), workloadIdentity('newcomer', AWS_ACCOUNT_NAME));
        await page.locator('table.objects tbody th', { hasText: 'shop/newcomer' }).waitFor();
        console.log(
          `[dashboard] a new WorkloadIdentity appeared ${Date.now() - created} ms after the API server accepted it`,
        );

        await page.getByRole('link', { name: 'shop/reporter', exact: true }).first().click();
        await page.locator('#detail-title').waitFor();
        expect(await page.locator('.drift-table, table', { hasText: 'Wanted (spec)' }).count()).toBe(0);
        const iam = new IAMClient(awsClientConfig(world.moto().endpoint));
        await iam.send(
          new TagRoleCommand({
            RoleName: motoRoleName('reporter', world.controlPlane().issuerUrl),
            Tags: [{ Key: 'team', Value: 'intruders' }],
          }),
        );
        const drifted = await waitForCondition(
          world.admin(),
          workloadIdentity('reporter', AWS_ACCOUNT_NAME),
          'Drifted',
          { status: 'True' },
        );
        const written = Date.parse(
          (
            drifted.status?.conditions?.find((c) => c.type === 'Drifted') as
              | { lastTransitionTime?: string }
              | undefined
          )?.lastTransitionTime ?? '',
        );
        const row = page.locator('table', { hasText: 'Wanted (spec)' }).locator('tbody tr');
        await row.first().waitFor();
        console.log(
          `[dashboard] drift shown ${Date.now() - written} ms after the operator wrote the Drifted condition`,
        );
        expect(await row.first().innerText()).toMatch(/tags\[team\]\s+shop\s+intruders/);
        expect(await page.locator('.state-line').innerText()).toMatch(/Drifted\s+DriftDetected/);
        // The first usage review comes an interval (4 s here) after the identity was created; nothing
        // has used its role.
        await page.locator('dd', { hasText: 'never seen used' }).waitFor({ timeout: 30_000 });
        expect(await page.locator('dd', { hasText: 'never seen used' }).textContent()).toMatch(
          /^never seen used\s+\(reviewed .+\)$/,
        );
        expect(await page.locator('.live').innerText()).toContain('Live');
        expect(await axeViolations(page)).toEqual([]);
        await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-detail.png'), fullPage: true });

        await page.goto(url());
        const attention = page.locator('ul.attention li', { hasText: 'shop/reporter' });
        expect(await attention.first().innerText()).toMatch(/Drifted[\s\S]*DriftDetected/);
        expect(violations).toEqual([]);
        await context.close();
      });

      it('shows each ServiceAccount only the namespaces its RBAC lets it list, and nothing to one without any', async () => {
        const shop = await signedIn('shop');
        await shop.page.locator('table.objects').waitFor();
        const shopRows = await rowNames(shop.page);
        expect(shopRows.length).toBeGreaterThan(0);
        expect(shopRows.every((n) => n.startsWith('shop/'))).toBe(true);
        expect(await shop.page.getByLabel('Namespace').locator('option').allInnerTexts()).toEqual([
          'All',
          'shop',
        ]);
        await shop.context.close();

        const payments = await signedIn('payments');
        await payments.page.locator('table.objects').waitFor();
        expect(await rowNames(payments.page)).toEqual(['payments/ledger', 'payments/ledger-reports']);
        expect(await payments.page.locator('ul.attention li').count()).toBe(0);
        await payments.context.close();

        const nobody = await signedIn('nobody');
        await nobody.page.getByRole('heading', { name: 'Nothing to show' }).waitFor();
        expect(await nobody.page.locator('[role=alert]').innerText()).toContain('may not list');
        expect(await nobody.page.locator('table').count()).toBe(0);
        expect(await axeViolations(nobody.page)).toEqual([]);
        await nobody.context.close();

        // The same through the JSON API: no token, a token the API server refuses, and one without RBAC.
        const api = (token?: string) =>
          fetch(`${url()}api/v1/overview`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
        const anonymous = await api();
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
        expect((await api('not-a-token')).status).toBe(401);
        const refused = await api(tokens.get('nobody'));
        expect(refused.status).toBe(403);
        expect(await refused.text()).not.toContain('orders');
        const stream = await fetch(`${url()}api/v1/watch`);
        expect(stream.status).toBe(401);
        const namespaced = (await (await api(tokens.get('payments'))).json()) as {
          objects: { namespace?: string }[];
        };
        expect(new Set(namespaced.objects.map((o) => o.namespace))).toEqual(new Set(['payments']));
        expect((await api(tokens.get('payments')).then((r) => r.json())) as object).not.toHaveProperty(
          'accounts',
        );
      });

      it('is usable from the keyboard, and sends its Content-Security-Policy', async () => {
        const { context, page } = await signedIn('admin');
        await page.locator('table.objects').waitFor();
        await page.reload();
        await page.locator('table.objects').waitFor();
        await page.keyboard.press('Tab');
        expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
        await page.getByLabel('Name or principal').focus();
        await page.keyboard.type('orders-api');
        await expect.poll(() => rowNames(page)).toContain('shop/orders-api');
        // Tab from the filters onto the first object's link, and open it with Enter.
        for (let i = 0; i < 12; i++) {
          await page.keyboard.press('Tab');
          if (await page.evaluate("document.activeElement?.closest('table.objects') !== null")) break;
        }
        expect(await page.evaluate('document.activeElement?.textContent')).toBe('shop/orders-api');
        await page.keyboard.press('Enter');
        await page.locator('#detail-title', { hasText: 'orders-api' }).waitFor();
        expect(await page.locator('text=system:serviceaccount:shop:orders-api').count()).toBe(1);
        const response = await fetch(url());
        expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
        expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
        await context.close();
      });
    },
    { operatorArgs: ['--dashboard-auth=token'], review: { interval: '4s' } },
  );
});
