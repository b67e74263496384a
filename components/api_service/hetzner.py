"""ApiService/Worker on Hetzner: a container on a VpsHost (see components/api_service/vps.py)."""

from multicloud.components.api_service.vps import build

__all__ = ["build"]
