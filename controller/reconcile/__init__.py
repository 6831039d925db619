"""The reconcilers of the three kinds, shared by the kopf operator and the standalone loop."""
