local actions = {}
actions["reconcile"] = {
  ["iconClass"] = "fa fa-fw fa-sync",
  ["displayName"] = "Reconcile now"
}
return actions
