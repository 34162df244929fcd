-- Vizier: the reconciler (controllers/vizier/assess.ts) writes phase, message and the conditions
-- Ready, Progressing, Degraded, Reconciling and Stalled on every status write. Failed is exactly
-- Stalled=True. Crash-looping, OOMKilled or unschedulable pods and a NATS outage make it
-- Degraded with Reconciling=True: they may still heal, so Argo CD sees Progressing, with the
-- problem in the message. Degraded with nothing in progress (nodes whose kernel cannot run a
-- PEM, spec.cloud set while the build has no cloud connector) is Degraded.
return unobserved()
  or onPhase("Paused", "Suspended", "spec.paused is true: the operator leaves the children as they are")
  or stalled()
  or reconciling()
  or settled()
  or fromPhase({ Pending = "Progressing", Updating = "Progressing", Healthy = "Healthy", Degraded = "Degraded", Failed = "Degraded", Paused = "Suspended" })
