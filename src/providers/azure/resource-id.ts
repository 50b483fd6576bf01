const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * What is wrong with a string meant as an Azure resource ID
 * (`/subscriptions/ID[/resourceGroups/RG][/providers/NAMESPACE/TYPE/NAME[/TYPE/NAME]...]`), and
 * where; undefined for a well-formed one. A trailing slash is tolerated, as ARM does.
 */
export function resourceIdProblem(id: string): string | undefined {
  const segments = id.replace(/\/+$/, '').split('/');
  if (segments[0] !== '' || segments[1]?.toLowerCase() !== 'subscriptions')
    return 'it does not start with /subscriptions/';
  const empty = segments.findIndex((s, i) => i > 0 && s === '');
  if (empty >= 0) return `segment ${empty} is empty (two slashes)`;
  const subscription = segments[2];
  if (subscription === undefined) return 'it names no subscription id after /subscriptions/';
  if (!GUID.test(subscription)) return `the subscription id "${subscription}" (segment 2) is not a GUID`;
  let at = 3;
  if (segments[at]?.toLowerCase() === 'resourcegroups') {
    if (segments[at + 1] === undefined) return 'it ends with resourceGroups but names no resource group';
    at += 2;
  }
  if (at === segments.length) return undefined;
  if (segments[at]?.toLowerCase() !== 'providers') {
    return `segment ${at} is "${segments[at]}" where resourceGroups or providers belongs`;
  }
  const namespace = segments[at + 1];
  if (namespace === undefined) return 'it ends with providers but names no resource provider namespace';
  if (!/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+$/.test(namespace))
    return `the resource provider namespace "${namespace}" (segment ${at + 1}) is not like Microsoft.Storage`;
  const typesAndNames = segments.slice(at + 2);
  if (typesAndNames.length === 0) return `it ends with the namespace ${namespace} but names no resource type`;
  if (typesAndNames.length % 2 === 1) {
    return `it ends with the resource type "${typesAndNames.at(-1)}" but names no resource of that type`;
  }
  return undefined;
}
