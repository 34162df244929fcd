-- CronScript: no reconciler yet. Phases Pending, Active, Suspended (spec.suspend) and Invalid,
-- a ScriptValid condition (False: the PxL does not compile; its message has line and column),
-- and the runs in status.history, newest first. Suspended is Suspended; Stalled=True, Invalid
-- and ScriptValid=False are Degraded; Reconciling=True is Progressing. A failed run leaves it
-- Healthy and says so in the message: runs are like a CronJob's Jobs, and a Degraded left by
-- one bad run would hold `argocd app wait` until the next good run, however the spec changed.
local function invalidScript()
  local c = condition("ScriptValid")
  if status.phase == "Invalid" or (c ~= nil and c.status == "False") then
    return health("Degraded", firstText(c ~= nil and c.message or nil, status.message, "the script is invalid"))
  end
  return nil
end

local function lastRunFailed()
  local last = nil
  if status.phase == "Active" and status.history ~= nil then
    last = status.history[1]
  end
  if last == nil or last.succeeded ~= false then
    return nil
  end
  local when = firstText(last.startTime, nil, "at an unknown time")
  return health("Healthy", "active, but the last run (" .. when .. ") failed: " .. firstText(last.error, status.lastError, "no error recorded"))
end

return unobserved()
  or onPhase("Suspended", "Suspended", "spec.suspend is true: runs are skipped")
  or stalled()
  or invalidScript()
  or reconciling()
  or lastRunFailed()
  or settled()
  or fromPhase({ Pending = "Progressing", Active = "Healthy", Suspended = "Suspended", Invalid = "Degraded" })
