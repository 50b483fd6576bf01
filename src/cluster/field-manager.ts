/**
 * The field manager of every write the operator makes. The API server otherwise takes it from the
 * User-Agent, which Keyless's requests do not send, and records Keyless's finalizers and status in
 * managedFields under "unknown".
 */
export const FIELD_MANAGER = 'keyless';

/** The query every operator write carries. */
export const FIELD_MANAGER_QUERY = { fieldManager: FIELD_MANAGER } as const;
