/**
 * A throwaway PKI for one control plane, made with Node's crypto only:
 * a CA, the API server's serving certificate, an admin client certificate and
 * the service-account token signing key pair.
 */
import { createHash, generateKeyPair, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { promisify } from 'node:util';
import * as der from './der.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface CertificateAndKey {
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
}

export interface ControlPlanePki {
  readonly ca: CertificateAndKey;
  /** Serving certificate for kube-apiserver (SANs 127.0.0.1 and localhost). */
  readonly apiServer: CertificateAndKey;
  /** Client certificate for `system:masters` (cluster-admin without RBAC). */
  readonly admin: CertificateAndKey;
  /** RSA key pair that signs and verifies service-account tokens. */
  readonly serviceAccount: { readonly privateKeyPem: string; readonly publicKeyPem: string };
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const KEY_USAGE_BITS = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

interface Subject {
  readonly commonName: string;
  readonly organization?: string;
}

interface Issuer {
  readonly name: Buffer;
  readonly privateKey: KeyObject;
  readonly keyId: Buffer;
}

interface CertificateSpec {
  readonly subject: Subject;
  readonly publicKey: KeyObject;
  /** Omitted for a self-signed certificate. */
  readonly issuer?: Issuer;
  readonly privateKey: KeyObject;
  readonly isCa: boolean;
  readonly extendedKeyUsage: ReadonlyArray<'serverAuth' | 'clientAuth'>;
  readonly subjectAltNames: readonly string[];
}

const VALIDITY_MS = 365 * 24 * 3600 * 1000;
const CLOCK_SKEW_MS = 3600 * 1000;

function encodeName(subject: Subject): Buffer {
  const rdn = (oid: string, value: string) =>
    der.set(der.sequence(der.objectIdentifier(oid), der.utf8String(value)));
  const parts = subject.organization ? [rdn(OID.organization, subject.organization)] : [];
  return der.sequence(...parts, rdn(OID.commonName, subject.commonName));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(
    der.objectIdentifier(oid),
    ...(critical ? [der.booleanTrue()] : []),
    der.octetString(value),
  );
}

function encodeSubjectAltNames(names: readonly string[]): Buffer {
  return der.sequence(
    ...names.map((name) =>
      isIPv4(name)
        ? der.implicit(7, Buffer.from(name.split('.').map(Number)))
        : der.implicit(2, Buffer.from(name, 'ascii')),
    ),
  );
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

function encodeExtensions(spec: CertificateSpec, subjectKeyId: Buffer, authorityKeyId: Buffer): Buffer {
  const keyUsage = spec.isCa
    ? [KEY_USAGE_BITS.digitalSignature, KEY_USAGE_BITS.keyCertSign, KEY_USAGE_BITS.cRLSign]
    : [KEY_USAGE_BITS.digitalSignature];
  const extensions = [
    extension(OID.basicConstraints, true, spec.isCa ? der.sequence(der.booleanTrue()) : der.sequence()),
    extension(OID.keyUsage, true, der.namedBits(keyUsage)),
    extension(OID.subjectKeyIdentifier, false, der.octetString(subjectKeyId)),
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, authorityKeyId))),
  ];
  if (spec.extendedKeyUsage.length > 0) {
    const usages = spec.extendedKeyUsage.map((usage) => der.objectIdentifier(OID[usage]));
    extensions.push(extension(OID.extKeyUsage, false, der.sequence(...usages)));
  }
  if (spec.subjectAltNames.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, encodeSubjectAltNames(spec.subjectAltNames)));
  }
  return der.explicit(3, der.sequence(...extensions));
}

function toPem(label: string, derBytes: Buffer): string {
  const lines = derBytes.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Creates and signs one certificate; returns its DER and what it takes to issue from it. */
function createCertificate(spec: CertificateSpec): { der: Buffer; asIssuer: Issuer } {
  const subjectName = encodeName(spec.subject);
  const subjectKeyId = keyIdentifier(spec.publicKey);
  const issuer: Issuer = spec.issuer ?? {
    name: subjectName,
    privateKey: spec.privateKey,
    keyId: subjectKeyId,
  };
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const now = Date.now();
  const signatureAlgorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSha256));
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.unsignedInteger(serial),
    signatureAlgorithm,
    issuer.name,
    der.sequence(der.time(new Date(now - CLOCK_SKEW_MS)), der.time(new Date(now + VALIDITY_MS))),
    subjectName,
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    encodeExtensions(spec, subjectKeyId, issuer.keyId),
  );
  const signature = sign('sha256', tbs, issuer.privateKey);
  return {
    der: der.sequence(tbs, signatureAlgorithm, der.bitString(signature)),
    asIssuer: { name: subjectName, privateKey: spec.privateKey, keyId: subjectKeyId },
  };
}

async function ecKeyPair(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
}

export async function generatePki(): Promise<ControlPlanePki> {
  const [caKeys, servingKeys, adminKeys, serviceAccountKeys] = await Promise.all([
    ecKeyPair(),
    ecKeyPair(),
    ecKeyPair(),
    generateKeyPairAsync('rsa', { modulusLength: 2048 }),
  ]);
  const ca = createCertificate({
    subject: { commonName: 'keyless-test-ca' },
    ...caKeys,
    isCa: true,
    extendedKeyUsage: [],
    subjectAltNames: [],
  });
  const leaf = (
    subject: Subject,
    keys: typeof servingKeys,
    usage: 'serverAuth' | 'clientAuth',
    sans: string[],
  ) =>
    createCertificate({
      subject,
      ...keys,
      issuer: ca.asIssuer,
      isCa: false,
      extendedKeyUsage: [usage],
      subjectAltNames: sans,
    });
  const serving = leaf({ commonName: 'kube-apiserver' }, servingKeys, 'serverAuth', [
    '127.0.0.1',
    'localhost',
  ]);
  const admin = leaf(
    { commonName: 'keyless-admin', organization: 'system:masters' },
    adminKeys,
    'clientAuth',
    [],
  );
  return {
    ca: { certPem: toPem('CERTIFICATE', ca.der), keyPem: privateKeyPem(caKeys.privateKey) },
    apiServer: { certPem: toPem('CERTIFICATE', serving.der), keyPem: privateKeyPem(servingKeys.privateKey) },
    admin: { certPem: toPem('CERTIFICATE', admin.der), keyPem: privateKeyPem(adminKeys.privateKey) },
    serviceAccount: {
      privateKeyPem: privateKeyPem(serviceAccountKeys.privateKey),
      publicKeyPem: serviceAccountKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
  };
}
