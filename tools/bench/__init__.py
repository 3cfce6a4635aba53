"""The benchmark behind `make bench`: what one phone sign-in costs.

    .venv/bin/python -m tools.bench [--signins N] [--import-runs N] [--no-package]

1. signins.py: N complete sign-ins (tools/scenario.py) against moto in-process, every request
   through the Lambda handler: AWS calls and DynamoDB capacity units per sign-in and per poll
   (meter.py), and the service's own CPU: each request's process time minus the time spent in
   botocore's client calls, moto's handling inside them measured apart, so AWS stays out and
   botocore's own share is reported on its own.
2. startup.py: the cold start (`import app` and the clients, against `import boto3` and one
   client, in fresh interpreters) and the zip `chalice package --stage prod` builds.
3. cost.py: the money per million sign-ins at list prices, and the targets.

Readable lines first; the last line on stdout is one JSON object with every figure.
"""
