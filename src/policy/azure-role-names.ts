/**
 * Azure's built-in role definition ids (the same in every tenant) for the roles the catalogue grants
 * and the roles guardrails judge, so a grant that names a role by id is compared by its name.
 */
const BUILT_IN_ROLE_IDS: Record<string, string> = {
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
  'e40ec5ca-96e0-45a2-b4ff-59039f2c2b59': 'Managed Identity Contributor',
  'f1a07417-d97a-45cb-824c-7a7467783830': 'Managed Identity Operator',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': 'Azure Service Bus Data Receiver',
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': 'Azure Service Bus Data Sender',
  '090c5cfd-751d-490a-894a-3ce6f1109419': 'Azure Service Bus Data Owner',
};

const DEFINITION_ID =
  /^(?:(?:\/subscriptions\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The GUID of a role given by definition id (bare or full), or undefined for a role name. */
export function roleDefinitionGuid(role: string): string | undefined {
  return DEFINITION_ID.exec(role)?.[1]?.toLowerCase();
}

/** The built-in role's name for a definition id; undefined for a name or an id Keyless does not know. */
export function builtInRoleName(role: string): string | undefined {
  const guid = roleDefinitionGuid(role);
  return guid === undefined ? undefined : BUILT_IN_ROLE_IDS[guid];
}
