import { describe, expect, it } from 'vitest';
import { parseTables } from '../../support/kubectl-tables.js';

describe('parseTables', () => {
  it('reads one table per kind, keeping empty cells in their column', () => {
    const output = [
      'NAMESPACE   NAME                                         READY   EXPIRES   AGE',
      'shop        identitybinding.keyless.dev/orders-read      True              5s',
      'shop        identitybinding.keyless.dev/reports-8h       False   7h59m     5s',
      '',
      'NAME                            PROVIDER   READY   IDENTITIES   AGE',
      'cloudaccount.keyless.dev/aws    aws        True                 6s',
      '',
    ].join('\n');
    expect(parseTables(output)).toEqual([
      {
        columns: ['NAMESPACE', 'NAME', 'READY', 'EXPIRES', 'AGE'],
        rows: [
          {
            NAMESPACE: 'shop',
            NAME: 'identitybinding.keyless.dev/orders-read',
            READY: 'True',
            EXPIRES: '',
            AGE: '5s',
          },
          {
            NAMESPACE: 'shop',
            NAME: 'identitybinding.keyless.dev/reports-8h',
            READY: 'False',
            EXPIRES: '7h59m',
            AGE: '5s',
          },
        ],
      },
      {
        columns: ['NAME', 'PROVIDER', 'READY', 'IDENTITIES', 'AGE'],
        rows: [
          { NAME: 'cloudaccount.keyless.dev/aws', PROVIDER: 'aws', READY: 'True', IDENTITIES: '', AGE: '6s' },
        ],
      },
    ]);
  });

  it('reads a header without rows, and nothing from nothing', () => {
    expect(parseTables('NAME   AGE\n')).toEqual([{ columns: ['NAME', 'AGE'], rows: [] }]);
    expect(parseTables('')).toEqual([]);
  });
});
