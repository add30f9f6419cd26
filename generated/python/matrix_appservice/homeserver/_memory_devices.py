"""The in-memory homeserver's device calls: to-device messages and end-to-end keys (upload,
query, claim), kept per user and device."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matrix_appservice.errors import ForbiddenError
from matrix_appservice.homeserver._memory_base import MemoryBase
from matrix_appservice.homeserver._requester import Requester
from matrix_appservice.models import (
    ClaimKeysRequest,
    ClaimKeysResponse,
    QueryKeysRequest,
    QueryKeysResponse,
    SendToDeviceRequest,
    SendToDeviceResponse,
    UploadKeysRequest,
    UploadKeysResponse,
)

__all__ = ["DeviceCalls", "DeviceStore"]

Device = tuple[str, str]
"""(user ID, device ID)."""


@dataclass
class DeviceStore:
    """Keys and to-device messages by device."""

    device_keys: dict[Device, dict[str, Any]] = field(default_factory=dict)
    one_time_keys: dict[Device, dict[str, Any]] = field(default_factory=dict)
    fallback_keys: dict[Device, dict[str, Any]] = field(default_factory=dict)
    inbox: dict[Device, list[dict[str, Any]]] = field(default_factory=dict)
    """To-device messages waiting for each device (nothing here syncs them out)."""
    sent: set[tuple[str, str | None, str]] = field(default_factory=set)


class DeviceCalls(MemoryBase):
    """To-device messages and keys."""

    devices: DeviceStore

    def _device(self, requester: Requester) -> Device:
        if requester.device_id is None:
            raise ForbiddenError("This call needs a device: log in, or assert one")
        return (requester.user_id, requester.device_id)

    async def upload_keys(
        self, requester: Requester, body: UploadKeysRequest
    ) -> UploadKeysResponse:
        device = self._device(requester)
        data = body.model_dump(by_alias=True, exclude_unset=True)
        if "device_keys" in data:
            self.devices.device_keys[device] = data["device_keys"]
        self.devices.one_time_keys.setdefault(device, {}).update(data.get("one_time_keys") or {})
        self.devices.fallback_keys.setdefault(device, {}).update(data.get("fallback_keys") or {})
        counts: dict[str, int] = {}
        for key_id in self.devices.one_time_keys[device]:
            algorithm = key_id.partition(":")[0]
            counts[algorithm] = counts.get(algorithm, 0) + 1
        return UploadKeysResponse(one_time_key_counts=counts)

    async def query_keys(self, requester: Requester, body: QueryKeysRequest) -> QueryKeysResponse:
        found: dict[str, dict[str, Any]] = {}
        for user_id, wanted in body.device_keys.items():
            keys = {
                device_id: keys
                for (owner, device_id), keys in self.devices.device_keys.items()
                if owner == user_id and (not wanted or device_id in wanted)
            }
            found[user_id] = keys
        return QueryKeysResponse.model_validate({"device_keys": found, "failures": {}})

    async def claim_keys(self, requester: Requester, body: ClaimKeysRequest) -> ClaimKeysResponse:
        claimed: dict[str, dict[str, Any]] = {}
        for user_id, wanted in body.one_time_keys.items():
            for device_id, algorithm in wanted.items():
                device = (user_id, device_id)
                pool = self.devices.one_time_keys.get(device, {})
                key_id = next((k for k in pool if k.startswith(f"{algorithm}:")), None)
                if key_id is not None:
                    key = {key_id: pool.pop(key_id)}
                else:
                    fallback = self.devices.fallback_keys.get(device, {})
                    key_id = next((k for k in fallback if k.startswith(f"{algorithm}:")), None)
                    if key_id is None:
                        continue
                    key = {key_id: fallback[key_id]}
                claimed.setdefault(user_id, {})[device_id] = key
        return ClaimKeysResponse.model_validate({"one_time_keys": claimed, "failures": {}})

    async def send_to_device(
        self, requester: Requester, event_type: str, txn_id: str, body: SendToDeviceRequest
    ) -> SendToDeviceResponse:
        key = (requester.user_id, requester.device_id or requester.appservice_id, txn_id)
        if key in self.devices.sent:
            return SendToDeviceResponse()
        self.devices.sent.add(key)
        for user_id, by_device in body.messages.items():
            user = self.state.users.get(user_id)
            if user is None:
                continue
            targets = sorted(user.devices) if "*" in by_device else list(by_device)
            for device_id in targets:
                content = by_device.get(device_id, by_device.get("*"))
                message = {"type": event_type, "sender": requester.user_id, "content": content}
                self.devices.inbox.setdefault((user_id, device_id), []).append(message)
        return SendToDeviceResponse()
