"""/v1/devices: the phones this server may use and their leases."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the route functions.

from fastapi import APIRouter

from ..deps import AUTH, PoolDep
from ..schemas import DeviceView
from .common import errors

__all__ = ["router"]

router = APIRouter(tags=["devices"])


@router.get("/v1/devices", response_model=list[DeviceView], dependencies=AUTH, responses=errors(401, 403))
async def devices(pool: PoolDep) -> list[DeviceView]:
    return [DeviceView(**d.public()) for d in pool.devices()]  # type: ignore[arg-type]
