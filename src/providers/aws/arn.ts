/** ARNs: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. */
const ARN = /^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z0-9-]*):([0-9]{12}|aws)?:(.+)$/;

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'];
const PART_NAMES = ['arn', 'partition', 'service', 'region', 'account', 'resource'];

/**
 * What is wrong with a string meant as an ARN, and where; undefined for a well-formed ARN. The
 * same rules as `parseArn`, spelled out for a person.
 */
export function arnProblem(text: string): string | undefined {
  const parts = text.split(':');
  if (parts[0] !== 'arn') return 'it does not start with "arn:"';
  if (parts.length < 6) {
    const shape = parts.map((part, i) => `${PART_NAMES[i]} "${part}"`).join(', ');
    const s3 =
      parts[2] === 's3'
        ? '; an S3 ARN leaves region and account empty: arn:aws:s3:::BUCKET, three colons'
        : '';
    return `it has ${parts.length} of the 6 colon-separated parts arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (${shape})${s3}`;
  }
  const [, partition = '', service = '', region = '', account = ''] = parts;
  const resource = parts.slice(5).join(':');
  if (!PARTITIONS.includes(partition))
    return `its partition (part 2) "${partition}" is not aws, aws-cn or aws-us-gov`;
  if (!/^[a-z0-9-]+$/.test(service))
    return `its service (part 3) "${service}" is not lowercase letters, digits and hyphens`;
  if (!/^[a-z0-9-]*$/.test(region))
    return `its region (part 4) "${region}" is not a region name such as eu-west-1`;
  if (!/^([0-9]{12}|aws)?$/.test(account)) return `its account (part 5) "${account}" is not 12 digits`;
  if (resource === '') return 'its resource (part 6) is empty';
  const lineBreak = text.search(/[\n\r\u2028\u2029]/);
  if (lineBreak >= 0) return `its resource (part 6) holds a line break at character ${lineBreak + 1}`;
  return undefined;
}

export function parseArn(text: string): Arn | undefined {
  const match = ARN.exec(text);
  if (!match) return undefined;
  const [, partition = '', service = '', region = '', account = '', resource = ''] = match;
  return { partition, service, region, account, resource };
}

/** The partition of a region: aws, aws-cn (cn-*) or aws-us-gov (us-gov-*). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function roleArn(partition: string, accountId: string, path: string, name: string): string {
  return `arn:${partition}:iam::${accountId}:role${path}${name}`;
}

/** The issuer URL as IAM writes it in condition keys and provider ARNs: no scheme, no trailing slash. */
export function issuerHostPath(issuerUrl: string): string {
  return issuerUrl.replace(/^https:\/\//, '').replace(/\/+$/, '');
}

export function oidcProviderArn(partition: string, accountId: string, issuerUrl: string): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${issuerHostPath(issuerUrl)}`;
}
