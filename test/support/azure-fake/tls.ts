/**
 * TLS for the fake: the Azure SDK sends bearer tokens over HTTPS only, so the fake serves a
 * certificate from a throwaway CA. It reuses the control plane's PKI generator (Node's crypto, no
 * dependency): its CA and its serving certificate, whose SANs are 127.0.0.1 and localhost. The other
 * parts it generates (a client certificate, a signing key) are not used here.
 */
import { generatePki } from '../control-plane/pki.js';

export interface ServingTls {
  /** PEM of the CA that signed `certPem`: what clients must trust. */
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export async function generateServingTls(): Promise<ServingTls> {
  const pki = await generatePki();
  return { caPem: pki.ca.certPem, certPem: pki.apiServer.certPem, keyPem: pki.apiServer.keyPem };
}
