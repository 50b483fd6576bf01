import type https from 'node:https';

/**
 * How requests reach the API server: its URL, and what each request needs to be let in (TLS trust,
 * client certificate, bearer token). client-node's KubeConfig is one (a kubeconfig file: every
 * authentication kubectl knows); ServiceAccountConnection is the other (in a pod: its own token).
 */
export interface KubeConnection {
  getCurrentCluster(): { readonly server: string } | null;
  /**
   * Sets `agent` (an https.Agent carrying the TLS settings) and the Authorization header, read
   * afresh so a rotated token is used.
   */
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}
