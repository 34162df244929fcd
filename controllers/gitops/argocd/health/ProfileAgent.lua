-- ProfileAgent: no reconciler yet. Its status has the Vizier's shape (phases Pending, Healthy,
-- Degraded, Failed, Paused; the shared conditions of controllers/common/conditions.ts), so it is
-- read the Vizier's way: spec.paused (phase Paused) is Suspended, Failed and Stalled=True are
-- Degraded, Reconciling=True is Progressing, then Degraded and Ready, then the phase.
return unobserved()
  or onPhase("Paused", "Suspended", "spec.paused is true: the operator leaves the profiling pipeline as it is")
  or onPhase("Failed", "Degraded", "Failed")
  or stalled()
  or reconciling()
  or settled()
  or fromPhase({ Pending = "Progressing", Healthy = "Healthy", Degraded = "Degraded", Failed = "Degraded", Paused = "Suspended" })
