"""The AllOne as a remote: learn codes into Home Assistant's storage, send them by name or raw.

As Broadlink does: `remote.learn_command` (device, one or more command names, timeout) puts the
AllOne in learning mode once per name, shows a notification asking to point the remote at it,
and stores each code under the device and name (`commands.py`); `remote.send_command` sends
stored commands by name (with `device`) or raw ones given as `b64:<base64>`, each `num_repeats`
times, `delay_secs` apart; `remote.delete_command` forgets them. Every command is checked before
the first code goes out: bad input sends nothing. Each emit is confirmed by the AllOne's ack (the
client resends until then), or the call fails: a code is never silently lost. Turned off, the
remote refuses to send or learn (Broadlink's switch), and stays off across restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from homeassistant.components import persistent_notification
# Newer releases define these in remote/const.py and re-export them implicitly; 2025.4 in the package.
from homeassistant.components.remote import (  # type: ignore[attr-defined,unused-ignore]
    ATTR_COMMAND_TYPE,
    ATTR_DELAY_SECS,
    ATTR_DEVICE,
    ATTR_NUM_REPEATS,
    ATTR_TIMEOUT,
    DEFAULT_DELAY_SECS,
    DEFAULT_NUM_REPEATS,
    RemoteEntity,
    RemoteEntityDescription,
    RemoteEntityFeature,
)
from homeassistant.const import ATTR_COMMAND, STATE_OFF
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity
from homeassistant.helpers.translation import async_get_translations

from .allone_coordinator import AllOneConfigEntry, AllOneCoordinator
from .client.allone import MAX_REPEATS
from .commands import CommandStore
from .const import DEFAULT_LEARN_TIMEOUT, DOMAIN
from .entity import AllOneEntity, s20_exception_handler
from .services import _validation_error
from .protocol import EncodeError, S20ConnectionError, code_from_text
from .protocol.allone import CODE_PREFIX

# One command at a time per AllOne: a learn holds it in learning mode.
PARALLEL_UPDATES = 1

REMOTE = RemoteEntityDescription(key="remote")
COMMAND_TYPE_IR = "ir"
ATTR_LEARNING = "learning"


async def async_setup_entry(
    hass: HomeAssistant, entry: AllOneConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the remote of an AllOne."""
    data = entry.runtime_data
    async_add_entities([AllOneRemote(data.coordinator, REMOTE, data.commands)])


async def _async_translated(key: str, hass: HomeAssistant, **placeholders: str) -> str:
    """A text of the integration's `exceptions` strings in Home Assistant's language (the learn
    prompt: Home Assistant translates no notification by itself, as Broadlink's shows)."""
    strings = await async_get_translations(hass, hass.config.language, "exceptions", {DOMAIN})
    text = strings.get(f"component.{DOMAIN}.exceptions.{key}.message", key)
    return text.format(**placeholders)


class AllOneRemote(AllOneEntity, RemoteEntity, RestoreEntity):
    """The AllOne's IR blaster: learned commands by device and name, raw `b64:` codes."""

    _attr_name = None  # the device's own entity: named as the AllOne
    _attr_supported_features = RemoteEntityFeature.LEARN_COMMAND | RemoteEntityFeature.DELETE_COMMAND

    def __init__(self, coordinator: AllOneCoordinator, description: RemoteEntityDescription, commands: CommandStore) -> None:
        super().__init__(coordinator, description)
        self._commands = commands
        self._attr_is_on = True

    async def async_added_to_hass(self) -> None:
        """Stay off when it was turned off before a restart."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and last.state == STATE_OFF:
            self._attr_is_on = False

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The command being learned, while the AllOne waits for it."""
        data = self.coordinator.data
        return {ATTR_LEARNING: data.learning if data is not None else None}

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Allow sending and learning."""
        self._attr_is_on = True
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Refuse sending and learning until turned on (the AllOne itself stays on)."""
        self._attr_is_on = False
        self.async_write_ha_state()

    def _check_on(self) -> None:
        if not self.is_on:
            raise _validation_error("remote_off", name=self.coordinator.device_name)

    # --- send ----------------------------------------------------------------------------------

    def _code(self, device: str | None, command: str) -> bytes:
        """The code a command names: raw after `b64:`, else stored under device."""
        if command.strip().lower().startswith(CODE_PREFIX):
            try:
                return code_from_text(command)
            except EncodeError as err:
                raise _validation_error("invalid_code", command=_short(command), error=str(err)) from err
        if not device:
            raise _validation_error("device_needed", command=command)
        if not self._commands.has_device(device):
            raise _validation_error("unknown_device", device=device, name=self.coordinator.device_name)
        code = self._commands.get(device, command)
        if code is None:
            raise _validation_error("unknown_command", command=command, device=device, name=self.coordinator.device_name)
        return code

    async def async_send_command(self, command: Iterable[str], **kwargs: Any) -> None:
        """Send each command in turn, the whole list num_repeats times, delay_secs apart."""
        self._check_on()
        repeats: int = kwargs.get(ATTR_NUM_REPEATS, DEFAULT_NUM_REPEATS)
        delay_s: float = kwargs.get(ATTR_DELAY_SECS, DEFAULT_DELAY_SECS)
        if not 1 <= repeats <= MAX_REPEATS:
            raise _validation_error("invalid_repeats", repeats=str(repeats), max=str(MAX_REPEATS))
        if delay_s < 0:
            raise _validation_error("invalid_delay", delay=str(delay_s))
        # Every command is resolved before the first is sent: one bad name sends nothing.
        codes = [self._code(kwargs.get(ATTR_DEVICE), name) for name in command]
        await self._async_send(codes, repeats, delay_s)

    @s20_exception_handler
    async def _async_send(self, codes: list[bytes], repeats: int, delay_s: float) -> None:
        client = self.coordinator.client
        for index in range(repeats * len(codes)):
            if index and delay_s:
                await asyncio.sleep(delay_s)
            await client.send_ir(codes[index % len(codes)])

    # --- learn ---------------------------------------------------------------------------------

    async def async_learn_command(self, **kwargs: Any) -> None:
        """Learn each named command in turn and store it under the device."""
        self._check_on()
        device: str | None = kwargs.get(ATTR_DEVICE)
        names: list[str] = kwargs[ATTR_COMMAND]
        command_type: str = kwargs.get(ATTR_COMMAND_TYPE) or COMMAND_TYPE_IR
        timeout = timedelta(seconds=kwargs[ATTR_TIMEOUT]) if kwargs.get(ATTR_TIMEOUT) else DEFAULT_LEARN_TIMEOUT
        if not device or not device.strip():
            raise _validation_error("no_device")
        if command_type != COMMAND_TYPE_IR:
            raise _validation_error("command_type_unsupported", command_type=command_type)
        for name in names:
            if not name.strip() or name.strip().lower().startswith(CODE_PREFIX):
                raise _validation_error("invalid_command_name", command=name, prefix=CODE_PREFIX)
        for name in names:
            code = await self._async_learn_one(name, timeout)
            await self._commands.async_set(device, name, code)

    async def _async_learn_one(self, command: str, timeout: timedelta) -> bytes:
        coordinator = self.coordinator
        name = coordinator.device_name
        title = await _async_translated("learn_prompt_title", self.hass)
        message = await _async_translated("learn_prompt", self.hass, name=name, command=command)
        notification_id = f"{DOMAIN}_learn_command_{coordinator.mac}"
        persistent_notification.async_create(self.hass, message, title=title, notification_id=notification_id)
        coordinator.async_set_learning(command)
        try:
            return await self._async_learn_code(command, timeout)
        finally:
            coordinator.async_set_learning(None)
            persistent_notification.async_dismiss(self.hass, notification_id)

    async def _async_learn_code(self, command: str, timeout: timedelta) -> bytes:
        try:
            return await self.coordinator.client.learn(timeout_s=timeout.total_seconds())
        except S20ConnectionError as err:
            # The AllOne did not ack, or no code came in time: say which command.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="learn_failed",
                translation_placeholders={"name": self.coordinator.device_name, "command": command, "error": str(err)},
            ) from err

    # --- delete --------------------------------------------------------------------------------

    async def async_delete_command(self, **kwargs: Any) -> None:
        """Forget the named commands of a device (all checked first: an unknown one deletes nothing)."""
        device: str | None = kwargs.get(ATTR_DEVICE)
        names: list[str] = kwargs[ATTR_COMMAND]
        if not device:
            raise _validation_error("no_device")
        if not self._commands.has_device(device):
            raise _validation_error("unknown_device", device=device, name=self.coordinator.device_name)
        for name in names:
            if self._commands.get(device, name) is None:
                raise _validation_error("unknown_command", command=name, device=device, name=self.coordinator.device_name)
        await self._commands.async_delete(device, list(dict.fromkeys(names)))


def _short(command: str, length: int = 24) -> str:
    """A raw code in an error message: its start only."""
    return command if len(command) <= length else f"{command[:length]}…"
