"""ApiService/Worker on DigitalOcean: a container on a droplet VpsHost (components/api_service/vps.py)."""

from components.api_service.vps import build

__all__ = ["build"]
