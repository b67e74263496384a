"""Shared VPS host machinery: what runs on a host and how it gets there.

Provider backends (`components/host/hetzner.py`, later DigitalOcean droplets) create only the
machine, its firewall and its volume. Everything else is here and provider-neutral:

- `model`   — the plain description of a host's workloads (containers, sites, files);
- `render`  — pure functions turning that description into cloud-init, compose, Caddyfile,
              Redis/Postgres configuration and the release bundle;
- `release` — the `HostRelease` component that ships a bundle over SSH and starts it.
"""
