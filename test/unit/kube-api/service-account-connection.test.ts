import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  inClusterServer,
  ServiceAccountConnection,
} from '../../../src/kube-api/service-account-connection.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

async function mount(token: string | undefined): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'keyless-sa-'));
  if (token !== undefined) await writeFile(join(directory, 'token'), token);
  await writeFile(join(directory, 'ca.crt'), CA);
  return directory;
}

describe('inClusterServer', () => {
  it('is https on the service host and port, with IPv6 addresses bracketed', () => {
    expect(inClusterServer({ host: '10.96.0.1', port: '443' })).toBe('https://10.96.0.1:443');
    expect(inClusterServer({ host: 'fd00:10:96::1', port: '443' })).toBe('https://[fd00:10:96::1]:443');
  });
});

describe('ServiceAccountConnection', () => {
  it('sends the mounted token as a bearer token and trusts the mounted CA', async () => {
    const connection = new ServiceAccountConnection({
      server: 'https://10.96.0.1:443',
      directory: await mount('eyJ.token.sig\n'),
    });
    const options: https.RequestOptions = { headers: { Accept: 'application/json' } };
    await connection.applyToHTTPSOptions(options);
    expect(options.headers).toEqual({ Accept: 'application/json', Authorization: 'Bearer eyJ.token.sig' });
    expect(options.agent).toBeInstanceOf(https.Agent);
    expect(String((options.agent as https.Agent).options.ca)).toBe(CA);
    expect(connection.getCurrentCluster()).toEqual({ server: 'https://10.96.0.1:443' });
  });

  it('refuses an empty token, and names the directory when the mount is missing', async () => {
    const empty = new ServiceAccountConnection({ server: 'https://k', directory: await mount('  \n') });
    await expect(empty.applyToHTTPSOptions({})).rejects.toThrow(/token is empty/);
    const directory = await mount(undefined);
    const missing = new ServiceAccountConnection({ server: 'https://k', directory });
    await expect(missing.applyToHTTPSOptions({})).rejects.toThrow(directory);
  });

  it('hands out the same Agent while the CA is the same, and a new one once it changes', async () => {
    const directory = await mount('token');
    let now = 0;
    const connection = new ServiceAccountConnection({ server: 'https://k', directory, now: () => now });
    const agentOf = async () => {
      const options: https.RequestOptions = {};
      await connection.applyToHTTPSOptions(options);
      return options.agent;
    };
    const first = await agentOf();
    now = 61_000; // past the re-read: the files are read again, the CA is unchanged
    expect(await agentOf()).toBe(first);
    await writeFile(join(directory, 'ca.crt'), `${CA}${CA}`);
    now = 122_000;
    const rotated = await agentOf();
    expect(rotated).not.toBe(first);
    expect(String((rotated as https.Agent).options.ca)).toBe(`${CA}${CA}`);
  });

  it('tries the mount again after a failed read instead of keeping the failure', async () => {
    const directory = await mount(undefined);
    const connection = new ServiceAccountConnection({ server: 'https://k', directory, now: () => 0 });
    await expect(connection.applyToHTTPSOptions({})).rejects.toThrow();
    await writeFile(join(directory, 'token'), 'late-token');
    const options: https.RequestOptions = {};
    await connection.applyToHTTPSOptions(options);
    expect(options.headers).toEqual({ Authorization: 'Bearer late-token' });
  });

  it('keeps the token read before when a re-read fails, says so, and reads the mount again a little later', async () => {
    const directory = await mount('first-token');
    let now = 0;
    const failures: Error[] = [];
    const connection = new ServiceAccountConnection({
      server: 'https://k',
      directory,
      now: () => now,
      onRereadFailed: (err) => failures.push(err),
    });
    const headers = async () => {
      const options: https.RequestOptions = {};
      await connection.applyToHTTPSOptions(options);
      return options.headers;
    };
    expect(await headers()).toEqual({ Authorization: 'Bearer first-token' });
    // The kubelet's swap of the mount, caught half-way, when the minute is up.
    await rm(join(directory, 'token'));
    now = 61_000;
    expect(await headers()).toEqual({ Authorization: 'Bearer first-token' });
    expect(failures.map((err) => err.message)).toEqual([
      `reading the ServiceAccount token and CA in ${directory} failed`,
    ]);
    // Not read again at once: one failure, not one per request.
    now = 65_000;
    expect(await headers()).toEqual({ Authorization: 'Bearer first-token' });
    expect(failures).toHaveLength(1);
    await writeFile(join(directory, 'token'), 'rotated-token');
    now = 66_000;
    expect(await headers()).toEqual({ Authorization: 'Bearer rotated-token' });
    expect(failures).toHaveLength(1);

    // Told of nothing, a connection fails the request instead.
    const untold = new ServiceAccountConnection({ server: 'https://k', directory, now: () => now });
    await untold.applyToHTTPSOptions({});
    await rm(join(directory, 'token'));
    now = 130_000;
    await expect(untold.applyToHTTPSOptions({})).rejects.toThrow(directory);
  });
});
