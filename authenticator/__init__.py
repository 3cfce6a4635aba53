"""The reference authenticator: a phone on the command line, and a worked example of the
device API for app developers. It talks to the service only over HTTP."""
