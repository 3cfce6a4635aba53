"""Development tools: the local stack, the admin CLI, the demo, the smoke run and the benchmark."""
