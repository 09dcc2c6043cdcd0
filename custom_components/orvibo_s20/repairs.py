"""Fix flows of the repair issues: the move from core `orvibo` (`core_move.py`), on the user's yes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.core import HomeAssistant

from .const import ISSUE_CORE_MOVE
from .core_move import CORE_DOMAIN, PortTaken, async_check_core, async_core_sockets, async_move
from .schema import HAS_PROBATIO, vol

if TYPE_CHECKING:
    if HAS_PROBATIO:
        from homeassistant.components.repairs.models import RepairsFlowResult as FixFlowResult
    else:
        from homeassistant.data_entry_flow import FlowResult as FixFlowResult


class CoreMoveFlow(RepairsFlow):
    """Move core `orvibo`'s sockets here once the user confirms."""

    def __init__(self) -> None:
        self._port = ""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> FixFlowResult:
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> FixFlowResult:
        """List core's sockets; on the user's yes, move those that answer."""
        sockets = async_core_sockets(self.hass)
        if not sockets:
            async_check_core(self.hass)  # core's entries went another way: the issue goes too
            return self.async_abort(reason="nothing_to_move")
        errors: dict[str, str] = {}
        placeholders = {"sockets": ", ".join(socket.label for socket in sockets), "silent": ""}
        if user_input is not None:
            try:
                result = await async_move(self.hass, sockets)
            except PortTaken as err:
                self._port = str(err.port)
                return await self.async_step_port_taken()
            if not result.silent:
                return self.async_create_entry(data={})
            errors["base"] = "silent"
            placeholders = {
                "sockets": ", ".join(socket.label for socket in result.silent),
                "silent": ", ".join(socket.label for socket in result.silent),
            }
        return self.async_show_form(
            step_id="confirm", data_schema=vol.Schema({}), errors=errors, description_placeholders=placeholders
        )

    async def async_step_port_taken(self, user_input: dict[str, Any] | None = None) -> FixFlowResult:
        """The port is held (by core itself, while it runs): stop core first, on the user's yes."""
        if user_input is not None:
            for entry in self.hass.config_entries.async_entries(CORE_DOMAIN, include_ignore=False):
                if entry.disabled_by is None:
                    await self.hass.config_entries.async_set_disabled_by(entry.entry_id, ConfigEntryDisabler.USER)
            return self.async_abort(reason="restart_needed", description_placeholders={"port": self._port})
        return self.async_show_form(
            step_id="port_taken", data_schema=vol.Schema({}), description_placeholders={"port": self._port}
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of a fixable issue (only the move from core is one)."""
    assert issue_id == ISSUE_CORE_MOVE
    return CoreMoveFlow()
