-- Argo CD health of a Keyless IdentityBinding (keyless.dev/v1alpha1). Runs without Lua's standard
-- libraries, as argocd-cm customizations do by default.
--   Progressing  Keyless has not reconciled this generation (or a requested reconcile) yet, is
--                still converging or retrying (Reconciling), or is removing the grants
--   Degraded     Stalled: a failure that only a change elsewhere fixes (the spec, the account, its
--                guardrails, the cloud), or with ObserveOnly grants missing from the cloud
--   Suspended    a temporary binding that ended (Expired: its grants were removed; the extend
--                action or a later spec.expiresAt grants again), or the identity's managementPolicy
--                ObserveOnly with the grants in place (Keyless writes nothing)
--   Healthy      Ready: the grants are in place
local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local hs = {}
local status = obj.status or {}
local generation = obj.metadata.generation
local reconciling = condition("Reconciling")

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  local waiting = isTrue(reconciling) and
    (reconciling.reason == "WaitingForBindings" or reconciling.reason == "WaitingForIdentities")
  hs.message = waiting and reconciling.message or "Keyless is removing the grants from the cloud."
  return hs
end
if status.observedGeneration == nil or (generation ~= nil and status.observedGeneration ~= generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for Keyless to reconcile generation " .. (generation or "?") .. "."
  return hs
end
local requested = obj.metadata.annotations and obj.metadata.annotations["keyless.dev/reconcile-requested-at"]
if requested ~= nil and requested ~= status.lastHandledReconcileAt then
  hs.status = "Progressing"
  hs.message = "Reconcile requested at " .. requested .. "."
  return hs
end

local stalled = condition("Stalled")
if isTrue(stalled) and stalled.reason == "Expired" then
  hs.status = "Suspended"
  hs.message = stalled.message .. " Extend it to grant again."
  return hs
end
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = stalled.reason .. ": " .. stalled.message
  return hs
end
if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = reconciling.reason .. ": " .. reconciling.message
  return hs
end

local ready = condition("Ready")
if isTrue(ready) then
  if ready.reason == "Observed" then
    hs.status = "Suspended"
    hs.message = ready.message .. " managementPolicy is ObserveOnly: Keyless writes nothing."
    return hs
  end
  hs.status = "Healthy"
  hs.message = ready.message
  local drifted = condition("Drifted")
  if isTrue(drifted) then
    hs.message = hs.message .. " " .. drifted.message
  end
  return hs
end

hs.status = "Progressing"
hs.message = ready and (ready.reason .. ": " .. ready.message) or "Waiting for Keyless to reconcile."
return hs
