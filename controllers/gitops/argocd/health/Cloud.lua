-- Cloud: no reconciler yet. Its status has the Vizier's shape without pausing (phases Pending,
-- Healthy, Degraded, Failed; the shared conditions of controllers/common/conditions.ts): Failed
-- and Stalled=True are Degraded, Reconciling=True is Progressing, then Degraded and Ready, then
-- the phase.
return unobserved()
  or onPhase("Failed", "Degraded", "Failed")
  or stalled()
  or reconciling()
  or settled()
  or fromPhase({ Pending = "Progressing", Healthy = "Healthy", Degraded = "Degraded", Failed = "Degraded" })
