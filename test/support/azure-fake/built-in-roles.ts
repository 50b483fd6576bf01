/**
 * The Azure built-in roles Keyless grants, with their real, tenant-independent GUIDs (Microsoft's
 * "Azure built-in roles" reference). Permissions are the published ones; Contributor's `notActions`
 * are abbreviated to the Authorization ones that matter here.
 */

export interface RolePermissions {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
}

export interface BuiltInRole {
  readonly id: string;
  readonly roleName: string;
  readonly description: string;
  readonly permissions: RolePermissions;
}

const permissions = (
  actions: readonly string[],
  dataActions: readonly string[] = [],
  notActions: readonly string[] = [],
): RolePermissions => ({ actions, notActions, dataActions, notDataActions: [] });

const SERVICE_BUS_ENTITY_READS = [
  'Microsoft.ServiceBus/*/queues/read',
  'Microsoft.ServiceBus/*/topics/read',
  'Microsoft.ServiceBus/*/topics/subscriptions/read',
];

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  {
    id: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    roleName: 'Reader',
    description: 'View all resources, but does not allow you to make any changes.',
    permissions: permissions(['*/read']),
  },
  {
    id: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    roleName: 'Contributor',
    description:
      'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    permissions: permissions(
      ['*'],
      [],
      [
        'Microsoft.Authorization/*/Delete',
        'Microsoft.Authorization/*/Write',
        'Microsoft.Authorization/elevateAccess/Action',
        'Microsoft.Blueprint/blueprintAssignments/write',
        'Microsoft.Blueprint/blueprintAssignments/delete',
        'Microsoft.Compute/galleries/share/action',
      ],
    ),
  },
  {
    id: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
    roleName: 'Storage Blob Data Reader',
    description: 'Allows for read access to Azure Storage blob containers and data',
    permissions: permissions(
      [
        'Microsoft.Storage/storageAccounts/blobServices/containers/read',
        'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
      ],
      ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
    ),
  },
  {
    id: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    roleName: 'Storage Blob Data Contributor',
    description: 'Allows for read, write and delete access to Azure Storage blob containers and data',
    permissions: permissions(
      [
        'Microsoft.Storage/storageAccounts/blobServices/containers/delete',
        'Microsoft.Storage/storageAccounts/blobServices/containers/read',
        'Microsoft.Storage/storageAccounts/blobServices/containers/write',
        'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
      ],
      [
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
      ],
    ),
  },
  {
    id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    roleName: 'Storage Blob Data Owner',
    description:
      'Allows for full access to Azure Storage blob containers and data, including assigning POSIX access control.',
    permissions: permissions(
      [
        'Microsoft.Storage/storageAccounts/blobServices/containers/*',
        'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
      ],
      ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*'],
    ),
  },
  {
    id: '4633458b-17de-408a-b874-0445c86b69e6',
    roleName: 'Key Vault Secrets User',
    description:
      "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    permissions: permissions(
      [],
      [
        'Microsoft.KeyVault/vaults/secrets/getSecret/action',
        'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      ],
    ),
  },
  {
    id: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    roleName: 'Key Vault Secrets Officer',
    description:
      "Perform any action on the secrets of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    permissions: permissions(
      [
        'Microsoft.Authorization/*/read',
        'Microsoft.Insights/alertRules/*',
        'Microsoft.Resources/deployments/*',
        'Microsoft.Resources/subscriptions/resourceGroups/read',
        'Microsoft.Support/*',
        'Microsoft.KeyVault/checkNameAvailability/read',
        'Microsoft.KeyVault/deletedVaults/read',
        'Microsoft.KeyVault/locations/*/read',
        'Microsoft.KeyVault/vaults/*/read',
        'Microsoft.KeyVault/operations/read',
      ],
      ['Microsoft.KeyVault/vaults/secrets/*'],
    ),
  },
  {
    id: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
    roleName: 'Azure Service Bus Data Receiver',
    description: 'Allows for receive access to Azure Service Bus resources.',
    permissions: permissions(SERVICE_BUS_ENTITY_READS, ['Microsoft.ServiceBus/*/receive/action']),
  },
  {
    id: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
    roleName: 'Azure Service Bus Data Sender',
    description: 'Allows for send access to Azure Service Bus resources.',
    permissions: permissions(SERVICE_BUS_ENTITY_READS, ['Microsoft.ServiceBus/*/send/action']),
  },
  {
    id: '090c5cfd-751d-490a-894a-3ce6f1109419',
    roleName: 'Azure Service Bus Data Owner',
    description: 'Allows for full access to Azure Service Bus resources.',
    permissions: permissions(['Microsoft.ServiceBus/*'], ['Microsoft.ServiceBus/*']),
  },
];
