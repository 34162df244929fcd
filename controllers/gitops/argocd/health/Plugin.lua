-- Plugin: no reconciler yet. Phases Pending, Ready (the endpoint takes exports) and Failing
-- (exports fail; status.exportErrors counts them since the last success), plus the shared
-- conditions. Failing and Stalled=True are Degraded, Reconciling=True is Progressing, then
-- Degraded and Ready, then the phase.
local function failing()
  if status.phase ~= "Failing" then
    return nil
  end
  local endpoint = nil
  if obj.spec ~= nil then
    endpoint = obj.spec.endpoint
  end
  local fallback = "exports to " .. firstText(endpoint, nil, "the endpoint") .. " are failing"
  if status.exportErrors ~= nil then
    fallback = fallback .. " (" .. status.exportErrors .. " since the last success)"
  end
  return health("Degraded", firstText(status.message, nil, fallback))
end

return unobserved()
  or failing()
  or stalled()
  or reconciling()
  or settled()
  or fromPhase({ Pending = "Progressing", Ready = "Healthy", Failing = "Degraded" })
