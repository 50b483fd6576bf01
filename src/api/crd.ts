import type { TSchema } from '@sinclair/typebox';
import { CATEGORY, GROUP, VERSION } from './group.js';
import type { KindDefinition } from './kinds.js';

type JsonSchema = { [key: string]: unknown };

/**
 * TypeBox writes maps as patternProperties; structural CRD schemas need additionalProperties.
 * JSON round-tripping drops TypeBox's symbol keys.
 */
export function toStructural(schema: TSchema): JsonSchema {
  return rewrite(JSON.parse(JSON.stringify(schema)) as JsonSchema);
}

function rewrite(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'patternProperties' && isObject(value)) {
      const only = Object.values(value)[0];
      if (isObject(only)) out.additionalProperties = rewrite(only);
    } else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, rewrite(child as JsonSchema)]),
      );
    } else if (key === 'items' && isObject(value)) {
      out.items = rewrite(value);
    } else if (key !== '$id') {
      out[key] = value;
    }
  }
  return out;
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** apiVersion and kind described as Kubernetes describes them, and metadata. */
const OBJECT_FIELDS = {
  apiVersion: {
    type: 'string',
    description:
      'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
  },
  kind: {
    type: 'string',
    description:
      'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
  },
  // The API server takes nothing but the type here; kubectl explain shows ObjectMeta's own docs.
  metadata: { type: 'object' },
};

export function openApiSchemaFor(kind: KindDefinition): JsonSchema {
  return {
    type: 'object',
    description: kind.description,
    required: ['spec'],
    properties: {
      ...OBJECT_FIELDS,
      spec: toStructural(kind.spec),
      status: toStructural(kind.status),
    },
  };
}

export function crdFor(kind: KindDefinition): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${kind.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: kind.scope,
      names: {
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: kind.shortNames,
        categories: [CATEGORY],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openApiSchemaFor(kind) },
          subresources: { status: {} },
          additionalPrinterColumns: kind.printerColumns,
        },
      ],
    },
  };
}
