-- SymbolizationJob: no reconciler yet. A job: phases Pending and Running are Progressing,
-- Succeeded is Healthy and Failed Degraded, and both are final, so they decide before any
-- condition. Before it finishes, the shared conditions apply (Stalled=True is Degraded).
local function succeeded()
  if status.phase ~= "Succeeded" then
    return nil
  end
  local fallback = "finished"
  if status.resultLocation ~= nil then
    fallback = "finished: the result is at " .. status.resultLocation
  end
  return health("Healthy", firstText(status.message, nil, fallback))
end

return unobserved()
  or succeeded()
  or onPhase("Failed", "Degraded", "Failed")
  or stalled()
  or reconciling()
  or settled()
  or fromPhase({ Pending = "Progressing", Running = "Progressing", Succeeded = "Healthy", Failed = "Degraded" })
