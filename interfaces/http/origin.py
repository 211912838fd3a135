"""Where a request comes from, for the audit trail: its request id and its client's network.

Built only by the routes whose use cases record an event (logins, sign-outs,
credential and admin changes), so the others pay nothing for it.
"""

from typing import Annotated

from fastapi import Depends, Request

from domain.audit import Origin
from infrastructure.container import request_id
from interfaces.http.client_address import client_network
from interfaces.http.dependencies import container_of


def origin_of(request: Request) -> Origin:
    proxies = container_of(request).settings().trusted_proxies
    return Origin(
        request_id=request_id.get() or "", client_network=client_network(request, proxies)
    )


async def _origin(request: Request) -> Origin:
    return origin_of(request)


OriginDep = Annotated[Origin, Depends(_origin)]
