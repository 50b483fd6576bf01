import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fullResourceNameProblem,
  isProjectPolicy,
  resourceNameShapeProblem,
} from '../../../src/policy/gcp-resource-names.js';
import { googleReading } from '../../support/url-path-reading.js';

const BUCKETS = '//storage.googleapis.com/projects/_/buckets';

describe('fullResourceNameProblem', () => {
  it.each([
    `${BUCKETS}/shop.reports.2026`,
    '//cloudresourcemanager.googleapis.com/projects/shop-prod',
    '//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com',
    `${BUCKETS}/a...b`,
  ])('accepts %s', (name) => {
    expect(fullResourceNameProblem(name)).toBeUndefined();
  });

  it.each<[string, string, string]>([
    ['a relative name', 'projects/p', 'it does not start with //SERVICE.googleapis.com/'],
    ['white space', `${BUCKETS}/bad name`, 'it holds white space at character 48'],
    ['a trailing slash', `${BUCKETS}/b/`, 'it ends with /'],
    ['two slashes', '//storage.googleapis.com/projects//buckets/b-1', 'two slashes at characters 34–35'],
    [
      'a .. segment',
      `${BUCKETS}/shop/../finance`,
      'its segment ".." (at character 50) is a dot segment, which the HTTP client resolves as a step up to the parent',
    ],
    ['a . segment', '//storage.googleapis.com/./projects/_/buckets/b', 'its segment "." (at character 26)'],
    ['a .. segment for the service', '//../projects/p', 'its segment ".." (at character 3)'],
    ['a percent-escape', `${BUCKETS}/shop%2F..%2Ffinance`, 'it holds % at character 49'],
    ['a backslash', `${BUCKETS}/shop\\..\\finance`, 'it holds a backslash at character 49'],
    ['a question mark', `${BUCKETS}/shop?x`, 'it holds ? at character 49, which ends a URL path'],
    ['a hash', `${BUCKETS}/shop#x`, 'it holds # at character 49'],
    [
      'a service that is no Google API',
      '//storage.example.com/b',
      'its service "storage.example.com" is not',
    ],
    ['no resource', '//storage.googleapis.com', 'it names a service but no resource'],
  ])('refuses %s, saying where', (_name, name, problem) => {
    expect(fullResourceNameProblem(name)).toContain(problem);
  });
});

describe('resourceNameShapeProblem', () => {
  it('judges relative names (IAM policy resources) the same way', () => {
    expect(
      resourceNameShapeProblem('projects/-/serviceAccounts/a@p.iam.gserviceaccount.com'),
    ).toBeUndefined();
    expect(resourceNameShapeProblem('projects/p/../q')).toContain('its segment ".." (at character 12)');
    expect(resourceNameShapeProblem('projects/p/')).toBe('it ends with /');
  });
});

describe('isProjectPolicy', () => {
  it.each([
    ['projects/p', true],
    ['//cloudresourcemanager.googleapis.com/projects/p', true],
    ['projects/-/serviceAccounts/a@p.iam.gserviceaccount.com', false],
    ['projects/p/', false],
  ])('%s: %s', (scope, expected) => {
    expect(isProjectPolicy(scope)).toBe(expected);
  });
});

describe('properties', () => {
  it('every full resource name it accepts, Google Cloud reads as written', () => {
    const piece = fc.constantFrom(
      'projects',
      '_',
      'buckets',
      'shop',
      'a.b',
      '..',
      '.',
      '',
      '%2e%2e',
      'a%2Fb',
      'a\\..',
      'a?b',
      'x#',
      '.\t.',
    );
    let accepted = 0;
    let readOtherwise = 0;
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 7 }), (pieces) => {
        const name = ['//storage.googleapis.com', ...pieces].join('/');
        if (googleReading(name) !== name) readOtherwise += 1;
        if (fullResourceNameProblem(name)) return;
        accepted += 1;
        expect(googleReading(name)).toBe(name);
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(20);
    expect(readOtherwise).toBeGreaterThan(500);
  });
});
