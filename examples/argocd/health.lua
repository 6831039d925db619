-- Argo CD health for stagingpro.io kinds, from their kstatus conditions (and a deployment's phase).
local hs = {status = "Progressing", message = "Waiting for the operator"}
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
if obj.status.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and obj.status.observedGeneration < obj.metadata.generation then
  hs.message = "The operator has not seen the latest spec yet"
  return hs
end
local ready, stalled, drifted, reconciling = nil, nil, nil, nil
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then ready = condition end
  if condition.type == "Stalled" and condition.status == "True" then stalled = condition end
  if condition.type == "Drifted" and condition.status == "True" then drifted = condition end
  if condition.type == "Reconciling" and condition.status == "True" then reconciling = condition end
end
local phase = obj.status.phase
if stalled ~= nil or phase == "Failed" or phase == "PartiallySucceeded" then
  hs.status = "Degraded"
  hs.message = (stalled or ready or {}).message or phase
  return hs
end
if phase == "AwaitingApproval" then
  hs.status = "Suspended"
  hs.message = "Waiting for approval (annotation stagingpro.io/approved-by)"
  return hs
end
if phase == "Scheduled" then
  hs.status = "Suspended"
  hs.message = (ready or {}).message or "Scheduled"
  return hs
end
if ready ~= nil and ready.status == "True" then
  if drifted ~= nil then
    hs.status = "Degraded"
    hs.message = drifted.message
    return hs
  end
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
if ready ~= nil and ready.status == "False" and reconciling == nil then
  hs.status = "Degraded"
  hs.message = ready.message
  return hs
end
hs.message = (reconciling or ready or {}).message or hs.message
return hs
