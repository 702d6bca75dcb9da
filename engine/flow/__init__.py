"""The flow language and nothing that runs: spec, positions, diagnostics, compiler, graph, lint, exports."""
