"""The AllOne's learned codes: one Home Assistant store per AllOne, by device then command name.

The layout is Broadlink's (`{device: {command: code}}`), the codes kept as base64 text (what the
`b64:` form of `remote.send_command` takes). The store is named after the AllOne's MAC, not the
entry: an AllOne removed and added again keeps what it learned.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import COMMAND_STORAGE_VERSION, DOMAIN
from .protocol import code_from_text, code_to_text

type StoredCommands = dict[str, dict[str, str]]


def storage_key(mac: str) -> str:
    """The store's name under .storage/: the domain and the MAC without colons."""
    return f"{DOMAIN}_{mac.replace(':', '').lower()}_commands"


class CommandStore:
    """The learned commands of one AllOne, loaded once, saved after every change."""

    def __init__(self, hass: HomeAssistant, mac: str) -> None:
        self._store: Store[StoredCommands] = Store(hass, COMMAND_STORAGE_VERSION, storage_key(mac))
        self._commands: StoredCommands = {}

    async def async_load(self) -> None:
        """Read what was learned before (nothing on a new AllOne)."""
        self._commands = await self._store.async_load() or {}

    def devices(self) -> dict[str, tuple[str, ...]]:
        """Every device and the names of its commands, sorted."""
        return {device: tuple(sorted(commands)) for device, commands in sorted(self._commands.items())}

    def has_device(self, device: str) -> bool:
        """Whether any command is stored for device."""
        return device in self._commands

    def get(self, device: str, command: str) -> bytes | None:
        """The code stored for device's command, None when there is none."""
        text = self._commands.get(device, {}).get(command)
        return None if text is None else code_from_text(text)

    def code_lengths(self, device: str) -> dict[str, int]:
        """Each stored command's code length in bytes (diagnostics)."""
        return {command: len(code_from_text(text)) for command, text in sorted(self._commands.get(device, {}).items())}

    async def async_set(self, device: str, command: str, code: bytes) -> None:
        """Store (or replace) a learned code and save."""
        self._commands.setdefault(device, {})[command] = code_to_text(code)
        await self._store.async_save(self._commands)

    async def async_delete(self, device: str, commands: list[str]) -> None:
        """Forget commands (the device too once it has none left) and save."""
        stored = self._commands[device]
        for command in commands:
            del stored[command]
        if not stored:
            del self._commands[device]
        await self._store.async_save(self._commands)
