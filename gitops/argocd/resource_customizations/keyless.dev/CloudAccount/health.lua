-- Argo CD health of a Keyless CloudAccount (keyless.dev/v1alpha1). Runs without Lua's standard
-- libraries, as argocd-cm customizations do by default.
--   Progressing  Keyless has not reconciled this generation (or a requested reconcile) yet, is
--                checking the credentials or retrying the check (Reconciling), or waits for the
--                account's WorkloadIdentities to go before it goes
--   Degraded     Stalled: the credentials are missing, refused, for another account or lack a
--                permission, the OIDC provider is missing: something outside Keyless must change
--   Healthy      Ready: the operator's credentials work in the account
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
  hs.message = waiting and reconciling.message or "Keyless is deleting the account."
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
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end

hs.status = "Progressing"
hs.message = ready and (ready.reason .. ": " .. ready.message) or "Waiting for Keyless to reconcile."
return hs
