-- Asks Keyless to reconcile now: it observes the cloud afresh even though nothing changed, and
-- answers in status.lastHandledReconcileAt (the health shows Progressing until then).
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["keyless.dev/reconcile-requested-at"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
