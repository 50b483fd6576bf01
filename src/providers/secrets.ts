/** Reads a Kubernetes Secret's decoded data, for CloudAccounts with `credentials.source: Secret`. */
export interface SecretReader {
  read(namespace: string, name: string): Promise<Record<string, string>>;
}
