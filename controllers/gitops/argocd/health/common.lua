-- What every Loupe kind's status holds (crds/schema.ts, statusBase): observedGeneration, phase,
-- message and conditions. Each function below returns a health ({ status, message }) when its
-- rule decides, else nil, so a kind's rules read as one chain: `return a() or b() or ...`.
local status = obj.status
if status == nil then
  status = {}
end

-- The condition of this type in status.conditions, or nil.
local function condition(conditionType)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

-- The first argument that is a non-empty string, else the last one.
local function firstText(a, b, fallback)
  if type(a) == "string" and a ~= "" then
    return a
  end
  if type(b) == "string" and b ~= "" then
    return b
  end
  return fallback
end

local function health(code, message)
  return { status = code, message = message }
end

-- Progressing until the operator has written a status for the current spec: a status of an
-- older generation describes a spec that is no longer there.
local function unobserved()
  local generation = obj.metadata.generation
  local observed = status.observedGeneration
  if generation == nil or (observed ~= nil and observed >= generation) then
    return nil
  end
  local why = "no status yet"
  if observed ~= nil then
    why = "its status is of generation " .. observed
  elseif obj.status ~= nil then
    why = "its status has no observedGeneration"
  end
  return health("Progressing", "waiting for the operator to observe generation " .. generation .. " (" .. why .. ")")
end

-- The given health, with status.message, when status.phase is `phase`.
local function onPhase(phase, code, fallback)
  if status.phase == phase then
    return health(code, firstText(status.message, nil, fallback))
  end
  return nil
end

-- kstatus, abnormal-true: Stalled=True means the operator cannot go on until the spec changes.
local function stalled()
  local c = condition("Stalled")
  if c ~= nil and c.status == "True" then
    return health("Degraded", firstText(c.message, status.message, "Stalled: the operator cannot make progress"))
  end
  return nil
end

-- kstatus, abnormal-true: Reconciling=True means the operator is still getting there, even
-- through problems that may heal; status.message says what it waits for or what is wrong.
local function reconciling()
  local c = condition("Reconciling")
  if c ~= nil and c.status == "True" then
    return health("Progressing", firstText(status.message, c.message, "Reconciling"))
  end
  return nil
end

-- Neither stalled nor reconciling: Degraded=True is a problem waiting will not fix; else Ready.
local function settled()
  local degraded = condition("Degraded")
  if degraded ~= nil and degraded.status == "True" then
    return health("Degraded", firstText(degraded.message, status.message, "Degraded"))
  end
  local ready = condition("Ready")
  if ready == nil then
    return nil
  end
  if ready.status == "True" then
    return health("Healthy", firstText(ready.message, status.message, "Ready"))
  end
  return health("Progressing", firstText(ready.message, status.message, "not Ready yet"))
end

-- The last word, from status.phase alone: `phases` maps each phase of the kind to a health.
local function fromPhase(phases)
  local phase = status.phase
  if phase == nil then
    return health("Progressing", "waiting for the operator to report a phase")
  end
  local code = phases[phase]
  if code == nil then
    return health("Unknown", "phase " .. phase .. " is unknown to this health check: use the one of your Loupe release (controllers/gitops/argocd)")
  end
  return health(code, firstText(status.message, nil, "phase " .. phase))
end
