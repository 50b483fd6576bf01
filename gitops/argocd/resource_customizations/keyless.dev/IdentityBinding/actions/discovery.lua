local actions = {}
actions["reconcile"] = {
  ["iconClass"] = "fa fa-fw fa-sync",
  ["displayName"] = "Reconcile now"
}
-- Only a temporary binding (spec.expiresAt or spec.duration) has an end to move.
local temporary = obj.spec ~= nil and (obj.spec.expiresAt ~= nil or obj.spec.duration ~= nil)
actions["extend"] = {
  ["iconClass"] = "fa fa-fw fa-clock",
  ["displayName"] = "Extend",
  ["disabled"] = not temporary,
  ["params"] = {
    {
      ["name"] = "hours",
      ["default"] = "1"
    }
  }
}
return actions
