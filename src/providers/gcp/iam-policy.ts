/** An IAM allow policy (v3): the parts Keyless reads and edits. */
export interface IamPolicy {
  version?: number | null;
  etag?: string | Uint8Array | null;
  bindings?: IamBinding[] | null;
  [field: string]: unknown;
}

export interface IamBinding {
  role?: string | null;
  members?: string[] | null;
  condition?: { title?: string | null; description?: string | null; expression?: string | null } | null;
}

export interface BindingKey {
  role: string;
  condition: string | undefined;
}

function matches(binding: IamBinding, key: BindingKey): boolean {
  return binding.role === key.role && (binding.condition?.expression ?? undefined) === key.condition;
}

export function hasMember(policy: IamPolicy, key: BindingKey, member: string): boolean {
  return (policy.bindings ?? []).some((b) => matches(b, key) && (b.members ?? []).includes(member));
}

export function membersOf(policy: IamPolicy, key: BindingKey): string[] {
  return (policy.bindings ?? []).filter((b) => matches(b, key)).flatMap((b) => b.members ?? []);
}

/**
 * Adds one member to the binding for (role, condition), creating the binding if needed. Other
 * members, bindings and conditions are left exactly as they are. Returns whether it changed.
 */
export function addMember(
  policy: IamPolicy,
  key: BindingKey,
  member: string,
  condition: { title: string; description: string } | undefined,
): boolean {
  const bindings = policy.bindings ?? [];
  const existing = bindings.find((b) => matches(b, key));
  if (existing?.members?.includes(member)) return false;
  if (existing) existing.members = [...(existing.members ?? []), member];
  else {
    bindings.push({
      role: key.role,
      members: [member],
      ...(key.condition !== undefined ? { condition: { ...condition, expression: key.condition } } : {}),
    });
  }
  policy.bindings = bindings;
  if (key.condition !== undefined) policy.version = 3;
  return true;
}

/**
 * How a policy shows `member` and, once the service account it names is deleted, what Google Cloud
 * turns it into: `deleted:serviceAccount:EMAIL?uid=ID`.
 */
export function isMemberOrDeleted(found: string, member: string): boolean {
  return (
    found === member || (member.startsWith('serviceAccount:') && found.startsWith(`deleted:${member}?uid=`))
  );
}

export function hasMemberOrDeleted(policy: IamPolicy, key: BindingKey, member: string): boolean {
  return membersOf(policy, key).some((m) => isMemberOrDeleted(m, member));
}

/** Removes one member from the binding for (role, condition); drops the binding if it empties. */
export function removeMember(
  policy: IamPolicy,
  key: BindingKey,
  member: string,
  same: (found: string, member: string) => boolean = (found, wanted) => found === wanted,
): boolean {
  let changed = false;
  const bindings: IamBinding[] = [];
  for (const binding of policy.bindings ?? []) {
    if (matches(binding, key) && binding.members?.some((m) => same(m, member))) {
      changed = true;
      const members = binding.members.filter((m) => !same(m, member));
      if (members.length > 0) bindings.push({ ...binding, members });
    } else bindings.push(binding);
  }
  policy.bindings = bindings;
  return changed;
}

/** Makes the members of an unconditional binding exactly `members` (used only on policies Keyless owns). */
export function setMembers(policy: IamPolicy, role: string, members: string[]): boolean {
  const current = [...new Set(membersOf(policy, { role, condition: undefined }))].sort();
  const wanted = [...new Set(members)].sort();
  if (JSON.stringify(current) === JSON.stringify(wanted)) return false;
  const others = (policy.bindings ?? []).filter((b) => !(b.role === role && !b.condition));
  policy.bindings = wanted.length > 0 ? [...others, { role, members: wanted }] : others;
  return true;
}
